"""Derivations: pure functions from a Model to SymPy objects (no I/O, no
numerics). mechanics (Euler–Lagrange, Legendre, Hamilton, invariants),
thermo (Gibbs densities, scores, Langevin dynamics), stochastic
(Fokker–Planck, generators, Itô/Stratonovich, stationarity)."""
