"""The element equations of indexed models: the Euler–Lagrange, Hamilton
and Langevin equations of element i of every array, derived once for all
sizes (actionc.derive.indexed), never unrolled.

    lagrangian  L = Σ m_i q'[i]²/2 − V(q):  q''[i] = (∂L/∂q[i] − ∂D/∂q'[i]) / m_i
    hamiltonian H(q, p):                    q'[i] = ∂H/∂p[i],  p'[i] = −∂H/∂q[i]
    energy      E(x), T, γ:                 dx[i] = −∂E/∂x[i]/γ dt + √(2T/γ) dW_i

A mass that depends on the state (a non-constant mass matrix) is for scalar
models only: refused here with a hint.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from actionc import symbols
from actionc.arrays import Array
from actionc.derive import indexed, thermo
from actionc.model import Calculus, Kind, Model

_ELEMENT_NAMES = ("i", "j", "k", "l", "m", "n", "a", "b")


@dataclass(frozen=True)
class Equation:
    """d variable[i]/dt = rate (i the element index; a scalar has none)."""

    variable: sympy.Symbol | sympy.IndexedBase
    array: Array | None
    rate: sympy.Expr
    role: str  # position, conjugate (velocity or momentum), state
    gradient: sympy.Expr | None = None  # energy models: ∂E/∂x[i]
    momentum: sympy.Expr | None = None  # lagrangian models: ∂L/∂q'[i]
    noise: sympy.Expr | None = None  # SDE of arrays: g[i] of g[i] dW_i (Itô); None: the model's common noise
    # underdamped Langevin (a lagrangian with dissipation and temperature), of each velocity:
    # the conservative acceleration ∂L/∂q[i]/m[i], friction rate γ[i] = r[i]/m[i] and thermal speed √(T/m[i])
    langevin: tuple[sympy.Expr, sympy.Expr, sympy.Expr] | None = None


@dataclass(frozen=True)
class Elements:
    """A model's element equations, written in `index`, its invariants, and
    the additive noise √(2T/γ) of every element of an energy model."""

    index: sympy.Symbol
    equations: tuple[Equation, ...]
    invariants: tuple[tuple[str, sympy.Expr], ...]
    noise: sympy.Expr | None = None


def element_equations(model: Model) -> Elements:
    element = sympy.Dummy("element", integer=True)
    if model.kind is Kind.LAGRANGIAN:
        equations, invariants = _lagrangian(model, element)
    elif model.kind is Kind.HAMILTONIAN:
        equations, invariants = _hamiltonian(model, element)
    elif model.kind is Kind.ENERGY:
        equations, invariants = _energy(model, element)
    else:
        equations, invariants = _sde(model, element), ()
    index = indexed.element_index(_element_name(model, [e.rate for e in equations]))
    rename = {element: index}

    def renamed(expr):
        return None if expr is None else expr.xreplace(rename)

    equations = tuple(
        Equation(
            e.variable,
            e.array,
            sympy.factor_terms(e.rate.xreplace(rename)),  # k*(2*q[i] - 2*q[i+1])/2 reads k*(q[i] - q[i+1])
            e.role,
            renamed(e.gradient),
            renamed(e.momentum),
            renamed(e.noise),
            None if e.langevin is None else tuple(renamed(part) for part in e.langevin),
        )
        for e in equations
    )
    noise = None
    if model.kind is Kind.ENERGY:
        noise = sympy.sqrt(2 * thermo.temperature(model) / thermo.friction(model))
    return Elements(index, equations, invariants, noise)


def _d(expr, variable, element, model: Model) -> sympy.Expr:
    """∂expr/∂variable[element] (an array) or ∂expr/∂variable (a scalar)."""
    try:
        if isinstance(variable, sympy.IndexedBase):
            return indexed.derivative(expr, variable, element, dict(model.arrays), model.sizes)
        return indexed.derivative(expr, variable, None, dict(model.arrays), model.sizes)
    except indexed.IndexingError as error:
        key = {Kind.LAGRANGIAN: "lagrangian", Kind.HAMILTONIAN: "hamiltonian"}.get(model.kind, "energy")
        raise model.error(str(error), key) from None


def _element(variable, element):
    return variable[element] if isinstance(variable, sympy.IndexedBase) else variable


def _array(model: Model, variable):
    return model.arrays.get(variable.name) if isinstance(variable, sympy.IndexedBase) else None


def _mass(momentum: sympy.Expr, velocity, model: Model, key: str = "lagrangian") -> sympy.Expr:
    """m with ∂L/∂q'[i] = m q'[i], m free of the state, or a ModelError
    (key "dissipation": r with ∂D/∂q'[i] = r q'[i], a friction of the same form)."""
    d = sympy.Dummy()
    written = momentum.xreplace({velocity: d})
    mass = sympy.diff(written, d)
    state = set(model.coordinates) | set(model.velocities)
    depends = mass.has(d) or any(mass.has(x) for x in state) or sympy.expand(written - mass * d) != 0
    if depends and key == "dissipation":
        raise model.error(
            "the dissipation of an indexed model with a temperature must be Σ r[i]·q'[i]²/2 with frictions "
            "that do not depend on the state",
            key,
            hint="a friction that couples elements or depends on the coordinates is supported for models "
            "written with scalars",
        )
    if depends:
        raise model.error(
            "the kinetic energy of an indexed model must be Σ m[i]·q'[i]²/2 with masses that do not depend "
            "on the state",
            "lagrangian",
            hint="a mass matrix that depends on the coordinates (or couples elements) is supported for models "
            "written with scalars; write those with scalar coordinates",
        )
    return mass


def _over_elements(term: sympy.Expr, element, array) -> sympy.Expr:
    if array is None:
        return term
    ((lo, hi),) = array.bounds
    j = indexed.element_index("i")  # bound: no clash with free names
    return sympy.Sum(term.xreplace({element: j}), (j, lo, hi))


def _lagrangian(model: Model, element):
    if model.forces:
        raise model.error(
            "forces on the coordinates of an indexed model are not supported yet",
            "lagrangian",
            hint="write a conservative force into the Lagrangian's potential, or friction as a dissipation",
        )
    T = model.temperature  # with a dissipation: the resolver sees to it
    L, D = model.lagrangian, model.dissipation
    positions, conjugates, legendre = [], [], sympy.Integer(0)
    for q, v in zip(model.coordinates, model.velocities):
        at = element if isinstance(q, sympy.IndexedBase) else None
        momentum = _d(L, v, at, model)
        mass = _mass(momentum, _element(v, at), model)
        conservative = _d(L, q, at, model)
        force = conservative - _d(D, v, at, model) if D is not None else conservative
        positions.append(Equation(q, _array(model, q), _element(v, at), "position"))
        thermal = {}
        if T is not None:  # dv = (F − r v)/m dt + √(2 T r)/m dW: the noise that keeps exp(−H/T)
            r = _mass(_d(D, v, at, model), _element(v, at), model, "dissipation")
            thermal = dict(
                noise=sympy.sqrt(2 * T * r) / mass, langevin=(conservative / mass, r / mass, sympy.sqrt(T / mass))
            )
        conjugates.append(Equation(v, _array(model, v), force / mass, "conjugate", momentum=momentum, **thermal))
        legendre += _over_elements(_element(v, at) * momentum, element, _array(model, q))
    energy = indexed.combine_sums(legendre - L)  # the kinetic sums of the same range become one
    invariants = () if D is not None or L.has(symbols.time) else (("energy", energy),)
    return positions + conjugates, invariants


def _hamiltonian(model: Model, element):
    if model.forces:
        raise model.error(
            "forces on the coordinates of an indexed model are not supported yet",
            "hamiltonian",
            hint="write a conservative force into the Hamiltonian's potential",
        )
    H = model.hamiltonian
    positions, conjugates = [], []
    for q, p in zip(model.coordinates, model.momenta):
        at = element if isinstance(q, sympy.IndexedBase) else None
        positions.append(Equation(q, _array(model, q), _d(H, p, at, model), "position"))
        conjugates.append(Equation(p, _array(model, p), -_d(H, q, at, model), "conjugate"))
    invariants = () if H.has(symbols.time) else (("energy", H),)
    return positions + conjugates, invariants


def _energy(model: Model, element):
    E, gamma = model.energy, thermo.friction(model)
    blocks = []
    for x in model.state:
        at = element if isinstance(x, sympy.IndexedBase) else None
        gradient = _d(E, x, at, model)
        blocks.append(Equation(x, _array(model, x), -gradient / gamma, "state", gradient=gradient))
    return blocks, ()


def _sde(model: Model, element):
    """dx[i] = f[i] dt + g[i] dW_i, each element its own noise: as written
    for Itô; for Stratonovich the Itô drift f[i] + g[i]·∂g[i]/∂x[i]/2 (the
    noise matrix is diagonal, so only g[i]'s own element counts)."""
    equations = []
    for x, f, row, index in zip(model.state, model.drift, model.diffusion, model.sde_indices):
        noises = [g for g in row if g != 0]
        if index is None and noises:
            raise model.error(
                "a scalar with noise in a model of arrays is not supported yet",
                f"sde {x.name}",
                hint="give the noise to an array's elements (dx[i] = … dW[i]), or write the model with scalars",
            )
        at = {index: element} if index is not None else {}
        g = noises[0].xreplace(at) if noises else None
        rate = f.xreplace(at)
        if g is not None and model.calculus is Calculus.STRATONOVICH:
            rate += g * _own_derivative(g, x[element], model, x.name) / 2
        equations.append(Equation(x, _array(model, x), rate, "state", noise=g))
    return equations


def _own_derivative(g: sympy.Expr, own: sympy.Indexed, model: Model, name: str) -> sympy.Expr:
    """∂g/∂x[i] of a noise coefficient that reads x[i] (and no other element of x)."""
    d = sympy.Dummy()
    local = g.xreplace({own: d})
    if local.has(own.base):
        raise model.error(
            f"the Stratonovich noise of {name}[i] reads other elements of {name} than {name}[i]",
            f"sde {name}",
            hint="write the model in Itô form (noise ito) with the drift correction written out",
        )
    return sympy.diff(local, d).xreplace({d: own})


def _element_name(model: Model, expressions) -> str:
    """The name element equations are printed in: i, unless the model uses it."""
    taken = {p.name for p in model.params} | set(model.arrays) | {let.name for let in model.lets}
    for expr in expressions:
        for node in sympy.preorder_traversal(expr):
            if isinstance(node, sympy.Sum):
                taken |= {limit[0].name for limit in node.limits}
    return next(name for name in _ELEMENT_NAMES if name not in taken)
