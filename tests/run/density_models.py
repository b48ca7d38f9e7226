"""The one-dimensional models that tests/run/test_density.py checks and
docs/make_density_figures.py draws: the numbers in docs/density.md are
those of the tested models."""

# dx = θ(μ − x) dt + σ dW from N(1, 0.25²): its density is the exact Gaussian
# of ou_exact in the tests
OU = """model ou
param theta = 1.5, mu = 0.2, sigma = 0.8
state x
dx = theta*(mu - x) dt + sigma dW
init x = normal(1, 0.25)
"""

# E = (x² − 1)², the symmetric double well, from a point mass at the left minimum
DOUBLE_WELL = """model double_well_1d
param T = 0.3
state x
energy = (x^2 - 1)^2
temperature = T
init x = -1
"""
