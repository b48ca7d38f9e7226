"""The flows that optimizers discretize, derived from an energy model's E:
each as the Euler–Lagrange equation of a (dissipative or time-dependent)
Lagrangian on the state, so that `actionc derive` shows which dynamics
gradient descent, heavy ball and Nesterov's method follow.

    heavy ball     L = |x'|²/2 − E(x), Rayleigh dissipation D = c|x'|²/2:
                   x'' = −c x' − ∇E (Polyak 1964)
    Nesterov ODE   L = t³ (|x'|²/2 − E(x)), the Bregman Lagrangian of
                   Wibisono, Wilson & Jordan (2016) for p = 2:
                   x'' = −(3/t) x' − ∇E (Su, Boyd & Candès 2016)

(the gradient flow x' = −∇E/γ is thermo.gradient_flow). Velocities are
printed x' and accelerations x''. Pure functions of the model.

Indexed models get the same equations per element from the element
gradient ∂E/∂x[k] (derive/elements.py): `element_flows` writes the
right-hand sides above with it, the forms the scalar derivation is tested
to give.
"""

from __future__ import annotations

import sympy

from actionc import symbols
from actionc.model import Kind, Model


def _energy_model(model: Model, what: str) -> None:
    if model.kind is not Kind.ENERGY:
        raise ValueError(f"{what} needs an energy model, not {model.kind.value}")


def damping(model: Model) -> sympy.Symbol:
    """The heavy ball's friction c (a name the model does not use)."""
    taken = {s.name for s in model.energy.free_symbols} | {x.name for x in model.state}
    name = "c" if "c" not in taken else "c_damping"
    return sympy.Symbol(name, positive=True)


def _euler_lagrange(model: Model, lagrangian, dissipation) -> dict[str, sympy.Expr]:
    """x'' of each state variable from d/dt ∂L/∂x' − ∂L/∂x = −∂D/∂x',
    L and D functions of (x, x', t) built by `lagrangian(x, v)` and `dissipation(v)`."""
    t = symbols.time
    paths = {x: sympy.Function(x.name)(t) for x in model.state}
    velocities = {x: sympy.Symbol(f"{x.name}'", real=True) for x in model.state}
    accelerations = {x: sympy.Symbol(f"{x.name}''", real=True) for x in model.state}
    moving = {x: paths[x] for x in model.state}
    L = lagrangian({x: moving[x] for x in model.state}, {x: sympy.diff(moving[x], t) for x in model.state})
    D = dissipation({x: sympy.diff(moving[x], t) for x in model.state})
    back = {sympy.diff(paths[x], t, 2): accelerations[x] for x in model.state}
    back.update({sympy.diff(paths[x], t): velocities[x] for x in model.state})
    back.update({paths[x]: x for x in model.state})
    equations = []
    for x in model.state:
        rate = sympy.diff(paths[x], t)
        equation = sympy.diff(sympy.diff(L, rate), t) - sympy.diff(L, paths[x]) + sympy.diff(D, rate)
        equations.append(equation.subs(back))
    solved = sympy.solve(equations, [accelerations[x] for x in model.state], dict=True)[0]
    return {f"{x.name}''": sympy.expand(solved[accelerations[x]]) for x in model.state}


def heavy_ball(model: Model) -> dict[str, sympy.Expr]:
    """x'' = −c x' − ∇E: Newton's law with friction c in the landscape E."""
    _energy_model(model, "heavy_ball")
    c = damping(model)
    return _euler_lagrange(
        model,
        lambda x, v: sum(v[s] ** 2 for s in model.state) / 2 - model.energy.subs(x),
        lambda v: c * sum(v[s] ** 2 for s in model.state) / 2,
    )


def nesterov_ode(model: Model) -> dict[str, sympy.Expr]:
    """x'' = −(3/t) x' − ∇E, from the Bregman Lagrangian t³(|x'|²/2 − E)."""
    _energy_model(model, "nesterov_ode")
    t = symbols.time
    return _euler_lagrange(
        model,
        lambda x, v: t**3 * (sum(v[s] ** 2 for s in model.state) / 2 - model.energy.subs(x)),
        lambda v: sympy.Integer(0),
    )


def element_flows(model: Model, elements) -> dict[str, dict[str, sympy.Expr]]:
    """heavy_ball and nesterov_ode of an indexed energy model, element by
    element: {flow: {"x''[k]": −c x'[k] − ∂E/∂x[k] (or −(3/t) x'[k] − …)}}."""
    _energy_model(model, "the flows of an indexed model")
    c, t, index = damping(model), symbols.time, elements.index
    flows: dict[str, dict[str, sympy.Expr]] = {"heavy_ball": {}, "nesterov_ode": {}}
    for equation in elements.equations:
        name = equation.variable.name
        if equation.array is None:
            velocity, label = sympy.Symbol(f"{name}'", real=True), f"{name}''"
        else:
            velocity, label = sympy.IndexedBase(f"{name}'")[index], f"{name}''[{index}]"
        flows["heavy_ball"][label] = -c * velocity - equation.gradient
        flows["nesterov_ode"][label] = -3 * velocity / t - equation.gradient
    return flows
