"""Gibbs densities, Langevin dynamics, Fokker–Planck: textbook checks."""

import pytest
import sympy

import actionc
from actionc.derive import stochastic, thermo
from actionc.symbols import symbol
from tests.conftest import EXAMPLE_DIR, SCALAR_EXAMPLES

ENERGY_EXAMPLES = [p for p in SCALAR_EXAMPLES if actionc.load(p).kind is actionc.Kind.ENERGY]  # indexed: test_indexed


def test_ornstein_uhlenbeck_gaussian_is_stationary():
    model = actionc.load(EXAMPLE_DIR / "ornstein_uhlenbeck.act")
    x, theta, mu, sigma = (symbol(n) for n in ("x", "theta", "mu", "sigma"))
    gaussian = sympy.exp(-theta * (x - mu) ** 2 / sigma**2)
    assert stochastic.is_stationary(stochastic.sde_of(model), gaussian)
    wrong = sympy.exp(-theta * (x - mu) ** 2 / (2 * sigma**2))
    assert not stochastic.is_stationary(stochastic.sde_of(model), wrong)


@pytest.mark.parametrize("path", ENERGY_EXAMPLES, ids=[p.stem for p in ENERGY_EXAMPLES])
def test_gibbs_density_of_every_energy_example_is_stationary(path):
    model = actionc.load(path)
    density = sympy.exp(thermo.log_density(model))
    assert stochastic.is_stationary(stochastic.sde_of(model), density)


def test_overdamped_langevin_noise_is_sqrt_2T_over_gamma():
    model = actionc.parse("model m\nparam T = 2, g = 3\nstate x\nenergy = x^2\ntemperature = T\nfriction = g\n")
    sde = thermo.overdamped_langevin(model)
    x, T, g = symbol("x"), symbol("T"), symbol("g")
    assert sympy.simplify(sde.drift[0] + 2 * x / g) == 0
    assert sympy.simplify(sde.diffusion[0, 0] - sympy.sqrt(2 * T / g)) == 0
    assert thermo.score(model) == [-2 * x / T]


def test_underdamped_langevin_noise_obeys_fluctuation_dissipation():
    model = actionc.load(EXAMPLE_DIR / "langevin_oscillator.act")
    sde, split = thermo.underdamped_langevin(model)
    T, gamma, m = (symbol(n) for n in ("T", "gamma", "m"))
    # velocity noise variance 2 T γ / m², i.e. momentum noise 2 T γ
    assert sympy.simplify(sde.diffusion[1, 0] ** 2 - 2 * T * gamma / m**2) == 0
    assert split is not None and split.mass == sympy.Matrix([[m]])


def test_geometric_brownian_motion_stratonovich_correction():
    S_, mu, sigma = symbol("S"), symbol("mu"), symbol("sigma")
    ito = actionc.parse("model g\nparam mu = 1, sigma = 1\nstate S\nnoise stratonovich\ndS = mu*S dt + sigma*S dW\n")
    drift = stochastic.sde_of(ito).drift[0]
    assert sympy.simplify(drift - (mu + sigma**2 / 2) * S_) == 0


def test_generator_of_brownian_motion_is_half_the_laplacian():
    model = actionc.parse("model b\nstate x, y\ndx = dW1\ndy = dW2\n")
    sde = stochastic.sde_of(model)
    f = stochastic.test_function(sde.state)
    x, y = sde.state
    expected = (sympy.diff(f, x, 2) + sympy.diff(f, y, 2)) / 2
    assert sympy.simplify(stochastic.generator(sde.drift, sde.diffusion, sde.state, f) - expected) == 0


def test_fokker_planck_is_the_adjoint_of_the_generator():
    # ∫ φ L*ρ = ∫ ρ L φ for rapidly decaying functions on the line
    model = actionc.parse("model m\nstate x\ndx = -x^3 dt + (1 + x^2/2) dW\n")
    sde = stochastic.sde_of(model)
    (x,) = sde.state
    rho, phi = sympy.exp(-(x**2)), x**2 * sympy.exp(-(x**2))
    left = sympy.integrate(
        phi * stochastic.fokker_planck(sde.drift, sde.diffusion, sde.state, rho), (x, -sympy.oo, sympy.oo)
    )
    right = sympy.integrate(
        rho * stochastic.generator(sde.drift, sde.diffusion, sde.state, phi), (x, -sympy.oo, sympy.oo)
    )
    assert sympy.simplify(left - right) == 0


def test_noise_commutativity_is_decided_for_polynomial_and_trigonometric_noise():
    from actionc.derive.stochastic import is_commutative, milstein_terms

    x, y = symbol("x"), symbol("y")

    def commutes(g) -> bool:
        g = tuple(tuple(sympy.Integer(e) if isinstance(e, int) else e for e in row) for row in g)  # as System has them
        return is_commutative(milstein_terms(g, (x, y)), 2, len(g[0]))

    assert commutes(((x, 0), (0, y)))  # diagonal, each noise on its own variable
    assert not commutes(((y, 0), (0, x)))  # L^1 g^2 ≠ L^2 g^1: visible as a polynomial
    assert commutes(((1, 0), (0, 1)))  # additive
    # commutative only once sin² + cos² = 1 is used: simplify still decides it
    assert commutes(((sympy.sin(x) ** 2 + sympy.cos(x) ** 2, 0), (0, 1)))
    assert not commutes(((sympy.sin(y), 0), (0, sympy.cos(x))))
