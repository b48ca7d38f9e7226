"""Hypothesis strategies and property checks for actionc models (needs the
`test` extra: pip install "actionc[test]").

- actionc.testing.strategies: random potentials, positive-definite mass
  matrices, mechanical Lagrangians, energies with temperatures, Langevin
  Lagrangians, SDEs with state-dependent diffusion; and property checks
  (Legendre involution, energy conservation, gauge invariance, Gibbs
  stationarity, Itô/Stratonovich round trip). See docs/testing.md.
- actionc.testing.indexed: indexed models (random neighbour stencils with
  fixed or periodic ends, pair potentials, data sums), and
  unrolled_difference, which checks an indexed model's element equations
  against SymPy on the same model written out with scalars.
- actionc.testing.text: strategies for .act source text (well-formed
  models of every kind, and raw token soup for fuzzing a parser).
"""
