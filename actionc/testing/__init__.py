"""Hypothesis strategies and property checks for actionc models (needs the
`test` extra: pip install "actionc[test]").

- actionc.testing.strategies: random potentials, positive-definite mass
  matrices, mechanical Lagrangians, energies with temperatures, Langevin
  Lagrangians, SDEs with state-dependent diffusion; and property checks
  (Legendre involution, energy conservation, gauge invariance, Gibbs
  stationarity, Itô/Stratonovich round trip). See docs/testing.md.
- actionc.testing.text: strategies for .act source text (well-formed
  models of every kind, and raw token soup for fuzzing a parser).
"""
