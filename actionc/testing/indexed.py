"""Hypothesis strategies for indexed models, and the property that makes
them trustworthy: the element equations, derived once for every size,
equal what SymPy gets by differentiating the model written out with scalars.

    from hypothesis import given
    from actionc.testing import indexed as acti

    @given(acti.stencil_energies())
    def test_my_derivation(text):
        assert acti.unrolled_difference(actionc.parse(text), n=4) < 1e-9

Every strategy draws .act text a person could have written: random
neighbour stencils with fixed or periodic ends, pair potentials (Σ_{i<j}),
and sums over data arrays. unrolled_difference works on any indexed model
(energy or lagrangian), so use it on your own.
"""

from __future__ import annotations

import numpy as np
import sympy
from hypothesis import strategies as st

from actionc.arrays import whole
from actionc.derive import elements, indexed
from actionc.model import Kind, Model

_POTENTIALS = ("({d})^2", "({d})^4/4", "cos({d})", "exp(-({d})^2)", "({d})^2*({e})")


@st.composite
def stencil_energies(draw, max_terms: int = 3, reach: int = 2) -> str:
    """An energy Σ_i Σ_terms V(x[i+a] − x[i+b]) over a chain with fixed ends
    (reach boundary values each side) or periodic ends."""
    terms = []
    for _ in range(draw(st.integers(1, max_terms))):
        a, b, c = (draw(st.integers(-reach, reach)) for _ in range(3))
        difference = f"x[i{a:+d}] - x[i{b:+d}]" if a != b else f"x[i{a:+d}]"
        terms.append(draw(st.sampled_from(_POTENTIALS)).format(d=difference, e=f"x[i{c:+d}]"))
    if draw(st.booleans()):
        boundary = "boundary x periodic"
    else:
        values = [f"x[{1 - k}] = {draw(st.sampled_from(['0', '1/2', '-1']))}" for k in range(1, reach + 1)]
        values += [f"x[N+{k}] = {draw(st.sampled_from(['0', '1/3', '2']))}" for k in range(1, reach + 1)]
        boundary = "boundary " + ", ".join(values)
    energy = f"sum(i in 1..N: {' + '.join(terms)}) + sum(i in 1..N: x[i]^2)"
    return f"model stencil\nparam N = 4\nstate x[1..N]\n{boundary}\nenergy = {energy}\n"


@st.composite
def pair_energies(draw) -> str:
    """A pair potential Σ_{i<j} U(x[i] − x[j]) plus a confining Σ x[i]^4."""
    pair = draw(st.sampled_from(["1/(1 + ({d})^2)", "exp(-({d})^2)", "({d})^2/2", "cos({d})"]))
    text = pair.format(d="x[i] - x[j]")
    return f"model pairs\nparam N = 4\nstate x[1..N]\nenergy = sum(i < j in 1..N: {text}) + sum(i in 1..N: x[i]^4)\n"


@st.composite
def data_energies(draw) -> str:
    """A loss Σ_rows ℓ(y[r], Σ_j X[r, j] w[j]) over data arrays, plus a prior."""
    loss = draw(st.sampled_from(["log(1 + exp(-y[r]*{z}))", "(y[r] - {z})^2/2", "exp({z}/4)*y[r]^2"]))
    z = "sum(j in 1..d: X[r, j]*w[j])"
    return (
        "model regression\ninput X[n, d], y[n]\nstate w[1..d]\n"
        f"energy = sum(r in 1..n: {loss.format(z=z)}) + sum(j in 1..d: w[j]^2)/2\n"
    )


def unrolled_difference(model: Model, n: int, seed: int = 0, inputs: dict | None = None) -> float:
    """The largest difference, at a random point, between each element
    equation (for every element) and the derivative SymPy takes of the model
    written out with every size equal to n (data arrays: random, or `inputs`
    by name). 0 up to rounding means the indexed derivation is right."""
    found = elements.element_equations(model)
    arrays = dict(model.arrays)
    rng = np.random.default_rng(seed)
    names: dict = {}

    def scalar(array, index):
        key = (array.name, index)
        if key not in names:
            names[key] = sympy.Symbol(f"{array.name}_{'_'.join(map(str, index))}", real=True)
        return names[key]

    sizes = {s: n for s in model.sizes}
    params = {p.symbol: p.value for p in model.params if p.symbol not in sizes}
    energy = model.kind is Kind.ENERGY
    total = indexed.unrolled(model.energy if energy else model.lagrangian, sizes, arrays, scalar)
    point: dict = {}

    def value(symbol):
        if symbol not in point:
            point[symbol] = rng.standard_normal()
        return point[symbol]

    given_data = dict(inputs or {})
    worst = 0.0
    for equation in found.equations:
        if equation.role == "position":
            continue
        variable = equation.variable if energy else _coordinate_of(model, equation.variable)
        array = arrays.get(variable.name)
        elements_of = [None] if array is None else range(*_span(array, sizes))
        for k in elements_of:
            rate = equation.rate if k is None else equation.rate.xreplace({found.index: k})
            ours = indexed.unrolled(rate, sizes, arrays, scalar)
            target = variable if array is None else scalar(array, (k,))
            theirs = sympy.diff(total, target)
            theirs = -theirs / model.friction if energy and model.friction is not None else theirs
            theirs = -theirs if energy and model.friction is None else theirs
            if not energy:
                theirs = theirs / _mass(model, equation, k, sizes, arrays, scalar)
            values = {**params}
            for symbol in (ours.free_symbols | theirs.free_symbols) - set(params):
                values[symbol] = _data_value(symbol, given_data) if _is_data(symbol, model) else value(symbol)
            worst = max(worst, abs(float(ours.xreplace(values)) - float(theirs.xreplace(values))))
    return worst


def _span(array, sizes) -> tuple[int, int]:
    ((lo, hi),) = array.bounds
    return whole(lo, sizes), whole(hi, sizes) + 1


def _coordinate_of(model: Model, velocity):
    return next(q for q, v in zip(model.coordinates, model.velocities) if v == velocity)


def _mass(model, equation, k, sizes, arrays, scalar) -> sympy.Expr:
    """m in ∂L/∂q'[k] = m q'[k], from the unrolled Lagrangian."""
    lagrangian = indexed.unrolled(model.lagrangian, sizes, arrays, scalar)
    velocity = scalar(arrays[equation.variable.name], (k,)) if k is not None else equation.variable
    return sympy.diff(lagrangian, velocity, 2)


def _is_data(symbol, model: Model) -> bool:
    return any(symbol.name.startswith(f"{item.name}_") for item in model.inputs)


def _data_value(symbol, given: dict) -> float:
    name, *index = symbol.name.split("_")
    if name in given:
        return float(np.asarray(given[name])[tuple(int(i) - 1 for i in index)])
    return float(np.random.default_rng(abs(hash(symbol.name)) % 2**32).standard_normal())
