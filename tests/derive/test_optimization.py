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


def test_element_flows_of_a_periodic_chain_are_the_scalar_derivation_at_each_element():
    chain = actionc.parse(
        "model chain\nparam N = 3\nstate x[1..N]\nboundary x periodic\n"
        "energy = sum(i in 1..N: (x[i + 1] - x[i])^2/2 + x[i]^4/4)\ntemperature = 1\n"
    )
    written_out = actionc.parse(
        "model chain\nstate x1, x2, x3\nenergy = (x2 - x1)^2/2 + (x3 - x2)^2/2 + (x1 - x3)^2/2"
        " + (x1^4 + x2^4 + x3^4)/4\ntemperature = 1\n"
    )
    from actionc.derive.elements import element_equations

    elements = element_equations(chain)
    flows = optimization.element_flows(chain, elements)
    scalar = {
        "heavy_ball": optimization.heavy_ball(written_out),
        "nesterov_ode": optimization.nesterov_ode(written_out),
    }
    i = elements.index
    names = {s.name: s for s in written_out.state}
    for flow in ("heavy_ball", "nesterov_ode"):
        (element,) = flows[flow].values()
        for k in (1, 2, 3):
            at = element.subs(i, k)
            at = at.replace(
                lambda e: isinstance(e, sympy.Indexed),
                lambda e: (
                    sympy.Symbol(f"x{(int(e.indices[0]) - 1) % 3 + 1}'", real=True)
                    if e.base.name == "x'"
                    else names[f"x{(int(e.indices[0]) - 1) % 3 + 1}"]
                ),
            )
            assert sympy.simplify(at - scalar[flow][f"x{k}''"]) == 0, (flow, k)
            other = "heavy_ball" if flow == "nesterov_ode" else "nesterov_ode"
            assert sympy.simplify(at - scalar[other][f"x{k}''"]) != 0  # the control: the comparison can fail
