"""Every model lowers to one System; the mass-matrix form means the same
dynamics as the symbolic solution."""

import random

import pytest
import sympy
from sympy.physics import mechanics as spm

import actionc
from actionc.lower import lower
from actionc.symbols import symbol
from actionc.system import System
from actionc.testing.text import pendulum_chain
from tests.conftest import EXAMPLES


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_lowers_to_a_system(path):
    model = actionc.load(path)
    system = lower(model)
    assert isinstance(system, System)
    if model.is_indexed:  # a block per array or scalar, in the order of the model's variables
        assert tuple(b.name for b in system.blocks) == tuple(x.name for x in model.variables)
    else:
        assert system.names == tuple(x.name for x in model.variables)
    assert system.param_defaults == model.parameter_defaults


def expected_hints():
    return {
        "pendulum": ("separable", ["energy"]),
        "henon_heiles": ("separable", ["energy"]),
        "kepler": (None, ["energy", "L"]),
        "langevin_oscillator": ("langevin", []),
        "double_well": ("gibbs", []),
        "muller_brown": ("gibbs", []),
        "damped_driven_oscillator": (None, []),
        "chain6": ("mass_matrix", ["energy"]),
    }


@pytest.mark.parametrize("name, expected", sorted(expected_hints().items()))
def test_structure_hints_and_invariants(name, expected):
    hint, invariants = expected
    system = lower(actionc.load(EXAMPLES[0].parent / f"{name}.act"))
    if hint:
        assert getattr(system, hint) is not None
    assert [k for k, _ in system.invariants] == invariants


def numeric_point(system: System, seed: int = 1) -> dict:
    rng = random.Random(seed)
    point = {x: sympy.Float(rng.uniform(-1, 1)) for x in system.state}
    point.update({p.symbol: sympy.Float(p.default) for p in system.params})
    return point


def evaluate_drift(system: System, point: dict) -> list[float]:
    """The drift at a point, solving the mass matrix numerically if present."""
    values = dict(point)
    if system.mass_matrix is not None:
        M = sympy.Matrix(system.mass_matrix.matrix).xreplace(point).evalf()
        F = sympy.Matrix(system.mass_matrix.forcing).xreplace(point).evalf()
        values.update(zip(system.mass_matrix.unknowns, M.LUsolve(F)))
    return [float(e.xreplace(values).evalf()) for e in system.drift]


def test_mass_matrix_form_and_symbolic_accelerations_give_the_same_drift():
    model = actionc.load(EXAMPLES[0].parent / "double_pendulum.act")
    explicit, implicit = lower(model, mass_matrix=False), lower(model, mass_matrix=True)
    assert explicit.mass_matrix is None and implicit.mass_matrix is not None
    point = numeric_point(explicit)
    assert evaluate_drift(explicit, point) == pytest.approx(evaluate_drift(implicit, point), rel=1e-12)


def test_a_five_link_chain_matches_sympy_physics_mechanics_numerically():
    n = 5
    system = lower(actionc.parse(pendulum_chain(n)))
    assert system.mass_matrix is not None  # chosen automatically for n > 4
    m, l, g = (symbol(s) for s in "mlg")
    q = spm.dynamicsymbols(f"q1:{n + 1}")
    u = [sympy.diff(qi, spm.dynamicsymbols._t) for qi in q]
    x = y = L = 0
    for qi in q:
        x, y = x + l * sympy.sin(qi), y - l * sympy.cos(qi)
        L += m * (sympy.diff(x, spm.dynamicsymbols._t) ** 2 + sympy.diff(y, spm.dynamicsymbols._t) ** 2) / 2 - m * g * y
    method = spm.LagrangesMethod(L, q)
    method.form_lagranges_equations()
    point = numeric_point(system, seed=7)
    ours = evaluate_drift(system, point)[n:]
    names = {s.name: v for s, v in point.items()}
    substitution = {qi: names[f"th{i + 1}"] for i, qi in enumerate(q)}
    substitution.update({ui: names[f"th{i + 1}_dot"] for i, ui in enumerate(u)})
    substitution.update({m: names["m"], l: names["l"], g: names["g"]})
    M = method.mass_matrix.subs(substitution).evalf()
    F = method.forcing.subs(substitution).evalf()
    theirs = [float(a) for a in M.LUsolve(F)]
    assert ours == pytest.approx(theirs, rel=1e-10)


def test_lagrangian_with_temperature_lowers_to_underdamped_langevin():
    system = lower(actionc.load(EXAMPLES[0].parent / "langevin_oscillator.act"))
    assert system.is_stochastic and system.noises == ("W_x",)
    assert system.diffusion[0] == (0,)


def test_stratonovich_sde_keeps_its_drift_and_carries_the_ito_drift():
    model = actionc.parse("model g\nparam s = 1\nstate x\nnoise stratonovich\ndx = s*x dW\n")
    system = lower(model)
    x, s = symbol("x"), symbol("s")
    assert system.calculus == "stratonovich"
    assert system.drift == (0,) and sympy.simplify(system.ito_drift[0] - s**2 * x / 2) == 0


def test_a_system_refuses_stray_symbols():
    x, y = symbol("x"), symbol("y")
    with pytest.raises(ValueError, match="unknown symbols"):
        System(name="bad", kind="sde", state=(x,), params=(), time=symbol("t"), drift=(y,), ito_drift=(y,))
