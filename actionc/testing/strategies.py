"""Hypothesis strategies for models, and property checks on their derivations.

Use them to property-test your own models and derivations:

    from hypothesis import given
    from actionc.testing import strategies as acts

    @given(acts.mechanical_lagrangians(max_coordinates=2))
    def test_energy_is_conserved(model):
        acts.check_energy_conserved(model)

Every strategy draws a `Model`, built by writing .act text and parsing it,
so it is exactly what a person could have written. Coefficients are small
rationals, so every check is exact symbolic arithmetic.
"""

from __future__ import annotations

import dataclasses

import sympy
from hypothesis import strategies as st

import actionc
from actionc import symbols
from actionc.derive import mechanics, stochastic, thermo
from actionc.model import Model

_COEFFICIENTS = st.sampled_from(["1", "2", "3", "1/2", "3/2", "1/3", "2/3", "5/4"])


def _signed(draw) -> str:
    sign = draw(st.sampled_from(["", "-"]))
    return f"{sign}{draw(_COEFFICIENTS)}"


@st.composite
def potentials(draw, variables: list[str], trig: bool = True) -> str:
    """A random polynomial (and trigonometric) potential in `variables`, as
    .act text: a sum of a few terms like 3/2*x^2*y or 2*cos(x - y)."""
    terms = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["monomial", "trig"] if trig else ["monomial"]))
        if kind == "monomial":
            powers = [f"{x}^{draw(st.integers(1, 3))}" for x in variables if draw(st.booleans())]
            powers = powers or [f"{variables[0]}^2"]
            terms.append(f"{_signed(draw)}*" + "*".join(powers))
        else:
            x = draw(st.sampled_from(variables))
            argument = x if len(variables) == 1 or draw(st.booleans()) else f"{x} - {draw(st.sampled_from(variables))}"
            terms.append(f"{_signed(draw)}*{draw(st.sampled_from(['cos', 'sin']))}({argument})")
    return " + ".join(terms)


@st.composite
def confining_potentials(draw, variables: list[str]) -> str:
    """A potential that grows at infinity (so exp(−V/T) is normalizable):
    a random potential plus Σ x^4."""
    return draw(potentials(variables)) + " + " + " + ".join(f"{x}^4" for x in variables)


@st.composite
def mass_matrices(draw, coordinates: list[str], constant: bool = False) -> list[list[str]]:
    """A symmetric positive-definite mass matrix M(q) as .act text: M = B Bᵀ + D
    with B lower-triangular (entries constants or simple functions of q) and
    D a positive diagonal."""
    n = len(coordinates)
    choices = ["0", "1", "1/2", "2"] + (
        [] if constant else [f"cos({q})" for q in coordinates] + [f"{q}" for q in coordinates]
    )
    B = [[draw(st.sampled_from(choices)) if j <= i else "0" for j in range(n)] for i in range(n)]
    D = [draw(st.sampled_from(["1", "2", "1/2", "3"])) for _ in range(n)]
    M = []
    for i in range(n):
        row = []
        for j in range(n):
            products = [f"({B[i][k]})*({B[j][k]})" for k in range(n) if B[i][k] != "0" and B[j][k] != "0"]
            if i == j:
                products.append(D[i])
            row.append(" + ".join(products) or "0")
        M.append(row)
    return M


def _kinetic(M: list[list[str]], velocities: list[str]) -> str:
    terms = []
    for i, vi in enumerate(velocities):
        for j, vj in enumerate(velocities):
            if M[i][j] != "0":
                terms.append(f"({M[i][j]})*{vi}*{vj}/2")
    return " + ".join(terms)


@st.composite
def mechanical_lagrangians(draw, max_coordinates: int = 2, constant_mass: bool = False) -> Model:
    """L = ½ q'ᵀ M(q) q' − V(q) with M positive definite."""
    n = draw(st.integers(1, max_coordinates))
    qs = [f"q{i + 1}" for i in range(n)]
    M = draw(mass_matrices(qs, constant=constant_mass))
    V = draw(potentials(qs))
    kinetic = _kinetic(M, [q + "'" for q in qs])
    return actionc.parse(f"model random_lagrangian\ncoord {', '.join(qs)}\nlagrangian = {kinetic} - ({V})\n")


@st.composite
def energies(draw, max_dimension: int = 2) -> Model:
    """An energy model with a confining potential, a temperature and a friction."""
    n = draw(st.integers(1, max_dimension))
    xs = [f"x{i + 1}" for i in range(n)]
    T = draw(st.sampled_from(["1", "1/2", "2", "3/4"]))
    gamma = draw(st.sampled_from(["1", "2", "1/3"]))
    return actionc.parse(
        f"model random_energy\nparam T = {T}, gamma = {gamma}\nstate {', '.join(xs)}\n"
        f"energy = {draw(confining_potentials(xs))}\ntemperature = T\nfriction = gamma\n"
    )


@st.composite
def langevin_lagrangians(draw, max_coordinates: int = 2) -> Model:
    """Underdamped Langevin: L = ½ q'ᵀ M q' − V(q) with constant M, a
    dissipation ½ q'ᵀ R q' with R positive definite, and a temperature."""
    n = draw(st.integers(1, max_coordinates))
    qs = [f"q{i + 1}" for i in range(n)]
    vs = [q + "'" for q in qs]
    M = draw(mass_matrices(qs, constant=True))
    R = draw(mass_matrices(qs, constant=True))
    T = draw(st.sampled_from(["1", "1/2", "2"]))
    return actionc.parse(
        f"model random_langevin\nparam T = {T}\ncoord {', '.join(qs)}\n"
        f"lagrangian = {_kinetic(M, vs)} - ({draw(confining_potentials(qs))})\n"
        f"dissipation = {_kinetic(R, vs)}\ntemperature = T\n"
    )


@st.composite
def sdes(draw, max_dimension: int = 2, calculus: str = "ito") -> Model:
    """An SDE with polynomial drift and state-dependent (matrix) diffusion."""
    n = draw(st.integers(1, max_dimension))
    xs = [f"x{i + 1}" for i in range(n)]
    noises = [f"dW{k + 1}" for k in range(draw(st.integers(1, 2)))]
    lines = [f"model random_sde\nstate {', '.join(xs)}\nnoise {calculus}"]
    for x in xs:
        terms = [f"({draw(potentials(xs, trig=False))}) dt"]
        for noise in noises:
            if draw(st.booleans()):
                terms.append(f"({draw(potentials(xs))}) {noise}")
        lines.append(f"d{x} = " + " + ".join(terms))
    return actionc.parse("\n".join(lines) + "\n")


# ---- property checks ---------------------------------------------------------


def _zero(expr: sympy.Expr) -> bool:
    return sympy.simplify(sympy.expand(expr)) == 0


def check_legendre_involution(model: Model) -> None:
    """Legendre applied twice gives back L."""
    H = mechanics.legendre(model)
    L = mechanics.legendre_transform(H, model.momenta, model.velocities)
    assert _zero(L - model.lagrangian), f"Legendre twice gave {L}, not {model.lagrangian}"


def check_energy_conserved(model: Model) -> None:
    """dE/dt = 0 along the Euler–Lagrange flow, for L without explicit time."""
    E = mechanics.energy_function(model)
    accelerations = mechanics.accelerations(model)
    rate = sum(
        (
            sympy.diff(E, q) * v + sympy.diff(E, v) * a
            for q, v, a in zip(model.coordinates, model.velocities, accelerations)
        ),
        sympy.Integer(0),
    )
    assert _zero(sympy.together(rate)), f"dE/dt = {rate}"


def check_gauge_invariance(model: Model, F: sympy.Expr) -> None:
    """Adding dF(q, t)/dt to L leaves the Euler–Lagrange equations unchanged."""
    dF = sympy.diff(F, symbols.time) + sum(
        (sympy.diff(F, q) * v for q, v in zip(model.coordinates, model.velocities)), sympy.Integer(0)
    )
    gauged = _with(model, lagrangian=model.lagrangian + dF)
    for before, after in zip(mechanics.euler_lagrange(model), mechanics.euler_lagrange(gauged)):
        assert _zero(after - before), f"gauge term changed an equation by {after - before}"


def check_gibbs_stationary(model: Model) -> None:
    """exp(−E/T) (energy models) or det M(q) exp(−(½ q'ᵀMq' + V)/T)
    (underdamped Langevin, in the state (q, q')) solves L*ρ = 0."""
    sde = stochastic.sde_of(model)
    if model.kind is actionc.Kind.ENERGY:
        density = sympy.exp(thermo.log_density(model))
    else:
        form = mechanics.mass_matrix_form(model)
        density = form.matrix.det() * sympy.exp(-mechanics.energy_function(model) / model.temperature)
    assert stochastic.is_stationary(sde, density), "the Gibbs density is not stationary"


def check_ito_stratonovich_roundtrip(model: Model) -> None:
    """Itô → Stratonovich → Itô is the identity on the drift."""
    drift, diffusion, state = sympy.Matrix(model.drift), sympy.Matrix(model.diffusion), model.state
    there = stochastic.ito_to_stratonovich(drift, diffusion, state)
    back = stochastic.stratonovich_to_ito(there, diffusion, state)
    assert all(_zero(e) for e in back - drift)


def _with(model: Model, **changes) -> Model:
    return dataclasses.replace(model, **changes)
