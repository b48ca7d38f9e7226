"""Mechanics: Euler–Lagrange, the mass-matrix form, Legendre, Hamilton,
invariants. Pure functions Model → SymPy, named after the textbook steps
(Goldstein, Classical Mechanics, ch. 1–2, 8).

Conventions: the state of a lagrangian model is (q, q_dot), of a
hamiltonian model (q, p). Accelerations are the symbols q_ddot. A Rayleigh
dissipation function D adds -∂D/∂q' to the generalized force Q.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from actionc import symbols
from actionc.errors import ModelError
from actionc.model import Kind, Model

# Up to this many coordinates the accelerations are solved symbolically;
# beyond it the kernel solves M(q) q'' = F numerically (as PyDy does).
SYMBOLIC_SOLVE_MAX = 4
TRIGSIMP_MAX = 3  # the largest symbolic determinant worth tidying with trigsimp
EXPANDED_POWER_MAX = 12  # a higher power of a sum is never multiplied out


def total_time_derivative(expr: sympy.Expr, model: Model) -> sympy.Expr:
    """d/dt of a function of (q, q', t): the chain rule, with q'' as symbols."""
    result = sympy.diff(expr, symbols.time)
    for q, v in zip(model.coordinates, model.velocities):
        result += sympy.diff(expr, q) * v + sympy.diff(expr, v) * symbols.acceleration(q)
    return result


def _require(model: Model, kind: Kind, what: str) -> None:
    if model.kind is not kind:
        raise ValueError(f"{what} needs a {kind.value} model, not {model.kind.value}")


def generalized_forces(model: Model) -> list[sympy.Expr]:
    """Q_i: the declared forces, minus ∂D/∂q'_i for a dissipation function D."""
    forces = model.force_map
    result = []
    for q, v in zip(model.coordinates, model.velocities):
        Q = forces.get(q, sympy.Integer(0))
        if model.dissipation is not None:
            Q -= sympy.diff(model.dissipation, v)
        result.append(Q)
    return result


def euler_lagrange(model: Model) -> list[sympy.Expr]:
    """d/dt ∂L/∂q'_i − ∂L/∂q_i − Q_i, each equal to zero."""
    _require(model, Kind.LAGRANGIAN, "euler_lagrange")
    L = model.lagrangian
    return [
        total_time_derivative(sympy.diff(L, v), model) - sympy.diff(L, q) - Q
        for q, v, Q in zip(model.coordinates, model.velocities, generalized_forces(model))
    ]


@dataclass(frozen=True)
class MassMatrixForm:
    """The Euler–Lagrange equations as M(q, q', t) q'' = F(q, q', t)."""

    matrix: sympy.Matrix
    forcing: sympy.Matrix


def mass_matrix_form(model: Model) -> MassMatrixForm:
    """M = ∂²L/∂q'∂q'; F = ∂L/∂q − (∂²L/∂q'∂q) q' − ∂²L/∂q'∂t + Q.

    Exact whenever L is quadratic in the velocities; for other Lagrangians M
    may depend on q' and the form still holds, because the Euler–Lagrange
    equations are always linear in q''.
    """
    _require(model, Kind.LAGRANGIAN, "mass_matrix_form")
    L = model.lagrangian
    qs, vs = model.coordinates, model.velocities
    momenta = [sympy.diff(L, v) for v in vs]
    n = len(qs)
    tidy = n <= SYMBOLIC_SOLVE_MAX  # small systems are solved symbolically: tidy M first, so that
    #                                 Cartesian lets (sin² + cos²) do not leak into every expression
    upper = {}
    for i in range(n):
        for j in range(i, n):  # M is symmetric: derive and tidy each entry once
            entry = sympy.diff(momenta[i], vs[j])
            upper[i, j] = sympy.trigsimp(sympy.factor_terms(entry)) if tidy else entry
    M = sympy.Matrix(n, n, lambda i, j: upper[min(i, j), max(i, j)])
    forces = generalized_forces(model)
    F = sympy.Matrix(
        [
            sympy.diff(L, q_i)
            - sum((sympy.diff(p, q) * v for q, v in zip(qs, vs)), sympy.Integer(0))
            - sympy.diff(p, symbols.time)
            + Q
            for q_i, p, Q in zip(qs, momenta, forces)
        ]
    )
    return MassMatrixForm(M, F)


def check_regular(model: Model, form: MassMatrixForm | None = None) -> None:
    """A ModelError naming the coordinates if the Lagrangian is degenerate
    (its Hessian in the velocities is singular, so q'' is undetermined)."""
    form = form or mass_matrix_form(model)
    M = form.matrix
    n = M.shape[0]
    singular, null = _numerically_singular(M, model)
    if not singular:
        return
    involved = sorted(
        {model.coordinates[i].name for vector in null for i in range(n) if not _is_zero(vector[i])},
        key=[q.name for q in model.coordinates].index,
    ) or [q.name for q in model.coordinates]
    names = ", ".join(f"'{name}'" for name in involved)
    raise model.error(
        f"the lagrangian is degenerate: its Hessian in the velocities is singular, "
        f"so the accelerations of {names} are not determined",
        "lagrangian",
        hint="every coordinate needs a kinetic term (e.g. m*q'^2/2); "
        "a coordinate without one is a constraint, which actionc does not handle yet",
    )


def _is_zero(value) -> bool:
    return value == 0 or sympy.simplify(value) == 0


def _numerically_singular(M: sympy.Matrix, model: Model) -> tuple[bool, list]:
    """Rank of M at two random points (parameters at their defaults). A
    symbolic determinant costs minutes for a 4×4 trigonometric matrix; a
    matrix singular at random points is singular everywhere, up to
    coincidences of measure zero. Returns the null vectors' supports."""
    import numpy as np  # a numerical diagnostic; the derivations stay symbolic

    rng = np.random.default_rng(20240611)
    defaults = {p.symbol: p.value for p in model.params}
    free = sorted(M.free_symbols - set(defaults), key=lambda s: s.name)
    at_defaults = M.xreplace({s: sympy.Float(v) for s, v in defaults.items()})
    null: list = []
    for _ in range(2):
        point = {s: sympy.Float(rng.uniform(-1.3, 1.3)) for s in free}
        values = np.array(at_defaults.xreplace(point).evalf(), dtype=float)
        _, singular_values, vt = np.linalg.svd(values)
        tolerance = 1e-10 * max(1.0, singular_values[0])
        rank = int((singular_values > tolerance).sum())
        if rank == M.shape[0]:
            return False, []
        null = [[1 if abs(x) > 1e-8 else 0 for x in vt[k]] for k in range(rank, M.shape[0])]
    return True, null


def accelerations(model: Model, form: MassMatrixForm | None = None) -> list[sympy.Expr]:
    """q'' solved from M q'' = F, symbolically (LU; no simplification beyond
    cancelling common factors). For small systems only: the cost grows
    factorially with the number of coordinates."""
    form = form or mass_matrix_form(model)
    check_regular(model, form)
    n = form.matrix.shape[0]
    if n == 1:
        return [_cancel(form.forcing[0] / form.matrix[0, 0])]
    solution = form.matrix.LUsolve(form.forcing)
    return [_cancel(sympy.together(a)) if n <= 2 else a for a in solution]


def _cancel(expr: sympy.Expr) -> sympy.Expr:
    """expr with common factors cancelled, unless that means multiplying out
    a high power of a sum: cancel expands its argument into a polynomial, and
    (q + r + 1)^300 has 45,451 terms of up to 140 digits."""
    return sympy.cancel(expr) if not _high_power_of_a_sum(expr) else expr


def multiply_out(expr: sympy.Expr) -> sympy.Expr:
    """sympy.expand, but a high power of a sum kept whole (multiplied out,
    (q + r + 1)^300 has 45,451 terms)."""
    return sympy.expand(expr, multinomial=not _high_power_of_a_sum(expr))


def _high_power_of_a_sum(expr: sympy.Expr) -> bool:
    return any(
        power.base.is_Add and power.exp.is_Integer and abs(power.exp) > EXPANDED_POWER_MAX
        for power in expr.atoms(sympy.Pow)
    )


# ---- momenta, Legendre, Hamilton --------------------------------------------


def momenta(model: Model) -> list[sympy.Expr]:
    """p_i = ∂L/∂q'_i, in terms of velocities."""
    _require(model, Kind.LAGRANGIAN, "momenta")
    return [sympy.diff(model.lagrangian, v) for v in model.velocities]


@dataclass(frozen=True)
class QuadraticForm:
    """L = ½ q'ᵀ M q' + bᵀ q' + L0, with M, b, L0 free of the velocities."""

    M: sympy.Matrix
    b: sympy.Matrix
    L0: sympy.Expr


def quadratic_form(model: Model, form: MassMatrixForm | None = None) -> QuadraticForm:
    """Split L by its order in the velocities; a ModelError if L is not
    quadratic in them (then p = ∂L/∂q' has no closed-form inverse)."""
    form = form or mass_matrix_form(model)
    check_regular(model, form)
    vs = model.velocities
    if any(form.matrix.has(v) for v in vs):
        raise model.error(
            "the Legendre transform needs a Lagrangian quadratic in the velocities",
            "lagrangian",
            hint="the Hessian ∂²L/∂q'∂q' depends on the velocities, so p = ∂L/∂q' has no closed-form inverse",
        )
    zero = {v: 0 for v in vs}
    b = sympy.Matrix([p.subs(zero) for p in momenta(model)])
    return QuadraticForm(form.matrix, b, model.lagrangian.subs(zero))


def velocities_from_momenta(model: Model) -> dict[sympy.Symbol, sympy.Expr]:
    """q' = M⁻¹(p − b), from p = ∂L/∂q' = M q' + b, as adj(M)(p − b)/det M."""
    quadratic = quadratic_form(model)
    shifted = sympy.Matrix(model.momenta) - quadratic.b
    if quadratic.M.is_diagonal():
        return {v: shifted[i] / quadratic.M[i, i] for i, v in enumerate(model.velocities)}
    adjugate, determinant = _inverse_parts(quadratic.M)
    solved = adjugate * shifted
    return {v: sympy.factor_terms(solved[i]) / determinant for i, v in enumerate(model.velocities)}


def _inverse_parts(A: sympy.Matrix) -> tuple[sympy.Matrix, sympy.Expr]:
    """adj(A) and det(A), with A⁻¹ = adj(A)/det(A): the mass-matrix form of
    an inverse. Cancelling the quotient instead (sympy.cancel of an LU
    solution) took minutes for a cart carrying a double pendulum. The
    determinant is expanded division-free (Berkowitz; Bareiss divides and
    cancels: 10 s for a 4×4 trigonometric matrix) and tidied with trigsimp
    only while it is small (trigsimp took 11 s at 4×4)."""
    determinant = sympy.expand(A.det(method="berkowitz"))
    if A.shape[0] <= TRIGSIMP_MAX:
        determinant = sympy.trigsimp(sympy.factor_terms(determinant))
    return A.adjugate(), sympy.factor(determinant)


def energy_function(model: Model, form: MassMatrixForm | None = None) -> sympy.Expr:
    """E = Σ q'_i ∂L/∂q'_i − L (Jacobi's energy function), in (q, q');
    for L quadratic in q' this is ½ q'ᵀ M q' − L0."""
    vs = sympy.Matrix(model.velocities)
    try:
        quadratic = quadratic_form(model, form)
    except ModelError:
        return multiply_out(sum((v * p for v, p in zip(vs, momenta(model))), sympy.Integer(0)) - model.lagrangian)
    return multiply_out((vs.T * quadratic.M * vs)[0] / 2 - quadratic.L0)


def legendre_transform(F: sympy.Expr, xs, ys) -> sympy.Expr:
    """G(y) = Σ x_i y_i − F(x) with y = ∂F/∂x eliminated, for F quadratic
    in x: F = ½ xᵀ A x + bᵀ x + c gives G = ½ (y − b)ᵀ A⁻¹ (y − b) − c.
    The transform is an involution: applied to G it gives back F."""
    zero = {x: 0 for x in xs}
    A = sympy.Matrix([[sympy.diff(F, a, b) for b in xs] for a in xs])
    if len(xs) <= SYMBOLIC_SOLVE_MAX:
        A = A.applyfunc(lambda entry: sympy.trigsimp(sympy.factor_terms(entry)))
    if A.free_symbols & set(xs):
        raise ValueError("not quadratic")
    b = sympy.Matrix([sympy.diff(F, x).subs(zero) for x in xs])
    c = F.subs(zero)
    shifted = sympy.Matrix(ys) - b
    if A.is_diagonal():
        quadratic = sum((shifted[i] ** 2 / (2 * A[i, i]) for i in range(A.shape[0])), sympy.Integer(0))
    else:
        adjugate, determinant = _inverse_parts(A)
        numerator = sympy.expand((shifted.T * adjugate * shifted)[0])
        quadratic = sympy.factor_terms(numerator) / (2 * determinant)
    return quadratic - c


def legendre(model: Model) -> sympy.Expr:
    """H(q, p, t) = Σ p_i q'_i − L with q' eliminated."""
    _require(model, Kind.LAGRANGIAN, "legendre")
    quadratic_form(model)  # a ModelError for degenerate or non-quadratic L
    return legendre_transform(model.lagrangian, model.velocities, model.momenta)


def hamiltonian_of(model: Model) -> sympy.Expr:
    return model.hamiltonian if model.kind is Kind.HAMILTONIAN else legendre(model)


def hamilton_equations(model: Model) -> dict[sympy.Symbol, sympy.Expr]:
    """q' = ∂H/∂p, p' = −∂H/∂q + Q (forces of a hamiltonian model act on p).

    For a lagrangian model, in mass-matrix form: q' = M⁻¹(p − b) and
    p' = ∂L/∂q + Q at that q', because ∂H/∂q = −∂L/∂q at fixed p (the terms
    through ∂q'/∂q cancel, as ∂L/∂q' = p). Differentiating the Legendre
    transform H itself gives the same equations, but through a quotient of
    thousands of terms for a cart carrying a double pendulum."""
    qs, ps = model.coordinates, model.momenta
    if model.kind is Kind.LAGRANGIAN:
        velocities = velocities_from_momenta(model)
        L = model.lagrangian
        equations = {q: velocities[v] for q, v in zip(qs, model.velocities)}
        equations.update(
            {p: (sympy.diff(L, q) + Q).xreplace(velocities) for q, p, Q in zip(qs, ps, generalized_forces(model))}
        )
        return equations
    H = model.hamiltonian
    forces = [model.force_map.get(q, sympy.Integer(0)) for q in qs]
    equations = {q: sympy.diff(H, p) for q, p in zip(qs, ps)}
    equations.update({p: -sympy.diff(H, q) + Q for q, p, Q in zip(qs, ps, forces)})
    return equations


@dataclass(frozen=True)
class SeparableSplit:
    """H = T(p) + V(q): the split symplectic integrators need."""

    kinetic: sympy.Expr
    potential: sympy.Expr


def separable_split(H: sympy.Expr, coordinates, momenta) -> SeparableSplit | None:
    """T(p) and V(q) if H separates that way (and has no explicit time)."""
    if H.has(symbols.time):
        return None
    V, T = multiply_out(H).as_independent(*momenta, as_Add=True)
    if T.free_symbols & set(coordinates):
        return None
    return SeparableSplit(kinetic=T, potential=V)


def lagrangian_separable_split(model: Model, form: MassMatrixForm) -> SeparableSplit | None:
    """L = ½ q'ᵀ M q' − V(q) with constant M and nothing else acting: then
    q' = v and v' = −M⁻¹∇V(q) is a separable (partitioned) system."""
    if model.forces or model.dissipation is not None or model.lagrangian.has(symbols.time):
        return None
    variables = set(model.coordinates) | set(model.velocities)
    if form.matrix.free_symbols & variables:
        return None
    v = sympy.Matrix(model.velocities)
    kinetic = (v.T * form.matrix * v)[0] / 2
    V = sympy.expand(kinetic - model.lagrangian)
    if V.free_symbols & set(model.velocities):
        return None
    return SeparableSplit(kinetic=sympy.expand(kinetic), potential=V)


# ---- invariants ---------------------------------------------------------------


def conserves_energy(model: Model) -> bool:
    """Nothing breaks time symmetry: no explicit t, no dissipation, no force."""
    dynamics = model.lagrangian if model.kind is Kind.LAGRANGIAN else model.hamiltonian
    return not dynamics.has(symbols.time) and model.dissipation is None and not model.forces


def cyclic_coordinates(model: Model) -> list[int]:
    """Indices of coordinates absent from L (or H), with no force or
    friction acting on them: their momenta are conserved (Noether)."""
    dynamics = model.lagrangian if model.kind is Kind.LAGRANGIAN else model.hamiltonian
    cyclic = []
    forces = model.force_map
    for i, q in enumerate(model.coordinates):
        if dynamics.has(q) or not _is_zero(forces.get(q, 0)):
            continue
        if model.dissipation is not None and model.dissipation.has(model.velocities[i]):
            continue
        cyclic.append(i)
    return cyclic


def invariants(model: Model, form: MassMatrixForm | None = None) -> dict[str, sympy.Expr]:
    """Conserved quantities, as functions of the model's state: the energy
    (when time symmetry holds) and the momentum of every cyclic coordinate.
    `form`, if given, is the model's mass_matrix_form (saves deriving it again)."""
    if not model.kind.is_mechanical:
        return {}
    result: dict[str, sympy.Expr] = {}
    if conserves_energy(model):
        result["energy"] = energy_function(model, form) if model.kind is Kind.LAGRANGIAN else model.hamiltonian
    for i in cyclic_coordinates(model):
        p = model.momenta[i]
        result[p.name] = momenta(model)[i] if model.kind is Kind.LAGRANGIAN else p
    return result
