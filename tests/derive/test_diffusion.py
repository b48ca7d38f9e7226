"""The density p_t of a diffusion model solves the forward Fokker–Planck
equation, symbolically, for every preset and for linear SDEs written out."""

import numpy as np
import pytest
import sympy

import actionc
from actionc.derive import diffusion, reverse, stochastic
from actionc.errors import ModelError
from actionc.symbols import symbol, time
from tests.conftest import EXAMPLE_DIR


def each_component_solves_fokker_planck(model) -> bool:
    # Fokker–Planck is linear: the mixture solves it when every Gaussian does
    sde = stochastic.sde_of(model)
    return all(
        reverse.solves_fokker_planck_log(sde, diffusion.log_component(g, model.state))
        for g in diffusion.components(model)
    )


@pytest.mark.parametrize(
    "text",
    [
        "model m\nstate x\nforward vp\ndata mean = 1, std = 0.5\ndata mean = -1, std = 0.2\n",
        "model m\nstate x\nforward subvp, beta_max = 10\ndata mean = 1, std = 0.5\n",
        "model m\nstate x\nforward ve, sigma_max = 20\ndata mean = 1, std = 0.5\n",
        "model m\nparam r = 2\nstate x, y\nforward vp\ndata mean = [r, 0], std = [0.3, 0.5]\n",
        # a linear SDE written out: SymPy integrates its mean and variance
        "model m\nparam b = 2, c = 3\nstate x\ndx = -b*x/2 dt + sqrt(c) dW\ndata mean = 1, std = 0.5\n",
        "model m\nstate x\ndx = -t*x dt + sqrt(2*t) dW\ndata mean = 2, std = 0.1\n",
    ],
)
def test_the_derived_density_solves_the_forward_fokker_planck_equation(text):
    assert each_component_solves_fokker_planck(actionc.parse(text))


def test_the_example_densities_solve_their_fokker_planck_equations():
    for name in ("gaussian_ring", "bimodal_ve"):
        assert each_component_solves_fokker_planck(actionc.load(EXAMPLE_DIR / f"{name}.act"))
    for name in ("ou_reverse", "widening_noise"):  # given densities, the second with state-dependent noise
        model = actionc.load(EXAMPLE_DIR / f"{name}.act")
        assert reverse.solves_fokker_planck_log(stochastic.sde_of(model), sympy.log(model.density))


def test_a_wrong_density_fails_the_check():
    model = actionc.parse("model m\nstate x\nforward vp\ndata mean = 1, std = 0.5\n")
    q = diffusion.log_component(diffusion.components(model)[0], model.state)
    assert not reverse.solves_fokker_planck_log(stochastic.sde_of(model), q.subs(time, 2 * time))


def test_a_full_covariance_component_solves_it_numerically():
    # symbolic simplification of the 2×2 inverse is slow; the residual is checked at points instead
    model = actionc.parse("model m\nstate x, y\nforward vp\ndata mean = [1, 2], cov = [[1, 0.5], [0.5, 2]]\n")
    g = diffusion.components(model)[0]
    residual = reverse.fokker_planck_log_residual(stochastic.sde_of(model), diffusion.log_component(g, model.state))
    x, y = model.state
    evaluate = sympy.lambdify((x, y, time), residual)
    rng = np.random.default_rng(0)
    for x0, y0, t0 in rng.uniform([-3, -3, 0.05], [3, 3, 1.0], size=(20, 3)):
        assert abs(evaluate(x0, y0, t0)) < 1e-9


def test_the_presets_match_their_integrated_equations():
    vp = actionc.parse("model m\nstate x\nforward vp, beta_min = 1, beta_max = 3\ndata mean = 0, std = 1\n")
    written = actionc.parse("model m\nstate x\ndx = -(1 + 2*t)*x/2 dt + sqrt(1 + 2*t) dW\ndata mean = 0, std = 1\n")
    preset, integrated = diffusion.marginal(vp), diffusion.marginal(written)
    assert sympy.simplify(preset.scale[0] - integrated.scale[0]) == 0
    assert sympy.simplify(preset.noise[0, 0] - integrated.noise[0, 0]) == 0


def test_the_score_is_the_gradient_of_the_log_density():
    model = actionc.load(EXAMPLE_DIR / "bimodal_ve.act")
    stable = diffusion.stable_score(diffusion.components(model), model.state)
    x = symbol("x")
    direct = sympy.lambdify((x, time), sympy.diff(diffusion.log_density(model), x))
    written = sympy.lambdify((x, time), stable.score[0], modules=[{"Largest": max}, "math"])
    for x0, t0 in [(-2.0, 0.0), (0.3, 0.2), (5.0, 0.9)]:
        assert written(x0, t0) == pytest.approx(direct(x0, t0), rel=1e-10)


def test_a_nonlinear_forward_sde_is_refused_with_its_line():
    model = actionc.parse("model m\nstate x\ndx = -x^3 dt + dW\ndata mean = 0, std = 1\n")
    with pytest.raises(ModelError, match="must be linear") as error:
        diffusion.marginal(model)
    assert error.value.span.line == 3
