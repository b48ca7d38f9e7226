"""The flows optimizers discretize, derived as Euler–Lagrange equations,
against their textbook forms (Polyak 1964; Su, Boyd & Candès 2016)."""

import pytest
import sympy

import actionc
from actionc.derive import optimization
from actionc.symbols import time
from tests.conftest import EXAMPLE_DIR

EXAMPLES = [EXAMPLE_DIR / name for name in ("two_wells.act", "double_well.act", "eight_schools.act")]


def _velocity(x):
    return sympy.Symbol(f"{x.name}'", real=True)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_heavy_ball_and_nesterov_odes_of_energy_examples(path):
    model = actionc.load(path)
    c = optimization.damping(model)
    heavy, nesterov = optimization.heavy_ball(model), optimization.nesterov_ode(model)
    for x in model.state:
        force = -sympy.diff(model.energy, x)
        assert sympy.simplify(heavy[f"{x.name}''"] - (-c * _velocity(x) + force)) == 0
        assert sympy.simplify(nesterov[f"{x.name}''"] - (-3 * _velocity(x) / time + force)) == 0
    # negative control: Nesterov's friction is 3/t, not 2/t
    x = model.state[0]
    wrong = -2 * _velocity(x) / time - sympy.diff(model.energy, x)
    assert sympy.simplify(nesterov[f"{x.name}''"] - wrong) != 0


def test_the_damping_symbol_avoids_the_models_names(tmp_path):
    model = actionc.parse("model m\nparam c = 2\nstate x\nenergy = c*x^2\ntemperature = 1\n")
    assert optimization.damping(model).name == "c_damping"
    assert "c_damping" in str(optimization.heavy_ball(model)["x''"])
