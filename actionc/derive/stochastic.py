"""SDEs and their densities: Fokker–Planck and backward operators, Itô ↔
Stratonovich, stationarity. For dx = f dt + g dW (Itô) with D = g gᵀ:

    ∂p/∂t = L*p = −Σ_i ∂_i(f_i p) + ½ Σ_ij ∂_i ∂_j (D_ij p)     (forward)
    L φ   = Σ_i f_i ∂_i φ + ½ Σ_ij D_ij ∂_i ∂_j φ                (backward)

Reference: Gardiner, Stochastic Methods (4th ed.), ch. 4–5; Kloeden &
Platen (1992), §4.9 for the Stratonovich correction.
"""

from __future__ import annotations

import sympy

from actionc import symbols
from actionc.derive import mechanics, thermo
from actionc.derive.thermo import Sde
from actionc.model import Calculus, Kind, Model


def sde_of(model: Model) -> Sde:
    """The model's dynamics as a first-order (S)DE, in Itô form for SDE
    models declared Stratonovich. Mechanical models without temperature
    give an ODE (diffusion None)."""
    if model.kind is Kind.SDE:
        sde = Sde(
            model.state,
            sympy.Matrix(model.drift),
            sympy.Matrix(model.diffusion) if model.noises else None,
            model.noises,
        )
        if model.calculus is Calculus.STRATONOVICH and sde.diffusion is not None:
            sde = Sde(sde.state, stratonovich_to_ito(sde.drift, sde.diffusion, sde.state), sde.diffusion, sde.noises)
        return sde
    if model.kind is Kind.ENERGY:
        if model.temperature is None:
            return Sde(model.state, sympy.Matrix(thermo.gradient_flow(model)), None)
        return thermo.overdamped_langevin(model)
    if model.kind is Kind.LAGRANGIAN and model.temperature is not None:
        return thermo.underdamped_langevin(model)[0]
    if model.kind is Kind.LAGRANGIAN:
        drift = [*model.velocities, *mechanics.accelerations(model)]
        return Sde(model.variables, sympy.Matrix(drift), None)
    equations = mechanics.hamilton_equations(model)
    return Sde(model.variables, sympy.Matrix([equations[x] for x in model.variables]), None)


def diffusion_tensor(diffusion: sympy.Matrix) -> sympy.Matrix:
    """D = g gᵀ."""
    return diffusion * diffusion.T


def fokker_planck(drift: sympy.Matrix, diffusion: sympy.Matrix | None, state, p: sympy.Expr) -> sympy.Expr:
    """L*p, the right-hand side of ∂p/∂t for an Itô SDE."""
    result = -sum((sympy.diff(drift[i] * p, x) for i, x in enumerate(state)), sympy.Integer(0))
    if diffusion is not None:
        D = diffusion_tensor(diffusion)
        for i, xi in enumerate(state):
            for j, xj in enumerate(state):
                if D[i, j] != 0:
                    result += sympy.diff(D[i, j] * p, xi, xj) / 2
    return result


def generator(drift: sympy.Matrix, diffusion: sympy.Matrix | None, state, phi: sympy.Expr) -> sympy.Expr:
    """L φ, the backward (Kolmogorov) generator of an Itô SDE."""
    result = sum((drift[i] * sympy.diff(phi, x) for i, x in enumerate(state)), sympy.Integer(0))
    if diffusion is not None:
        D = diffusion_tensor(diffusion)
        for i, xi in enumerate(state):
            for j, xj in enumerate(state):
                if D[i, j] != 0:
                    result += D[i, j] * sympy.diff(phi, xi, xj) / 2
    return result


def _correction(diffusion: sympy.Matrix, state) -> sympy.Matrix:
    """c_i = ½ Σ_{j,k} g_jk ∂_j g_ik: Itô drift = Stratonovich drift + c."""
    n, m = diffusion.shape
    return sympy.Matrix(
        [
            sum(
                (diffusion[j, k] * sympy.diff(diffusion[i, k], state[j]) for j in range(n) for k in range(m)),
                sympy.Integer(0),
            )
            / 2
            for i in range(n)
        ]
    )


def stratonovich_to_ito(drift: sympy.Matrix, diffusion: sympy.Matrix, state) -> sympy.Matrix:
    """The Itô drift of a Stratonovich SDE with the same diffusion."""
    return drift + _correction(diffusion, state)


def ito_to_stratonovich(drift: sympy.Matrix, diffusion: sympy.Matrix, state) -> sympy.Matrix:
    """The Stratonovich drift of an Itô SDE with the same diffusion."""
    return drift - _correction(diffusion, state)


def density_function(state) -> sympy.Expr:
    """p(x, y, t), the unknown density, as an undefined function."""
    return sympy.Function("p")(*state, symbols.time)


def test_function(state) -> sympy.Expr:
    """f(x, y, t), the test function of the backward generator."""
    return sympy.Function("f")(*state, symbols.time)


def is_stationary(sde: Sde, density: sympy.Expr) -> bool:
    """Does L* density = 0 hold identically? Decided symbolically: the
    ratio L*ρ / ρ is simplified (for Gibbs-like densities it is a
    polynomial-like expression that simplifies to 0 exactly)."""
    residual = fokker_planck(sde.drift, sde.diffusion, sde.state, density)
    ratio = sympy.simplify(sympy.expand(residual / density))
    return ratio == 0


def milstein_terms(diffusion, state) -> tuple[tuple[tuple[sympy.Expr, ...], ...], ...]:
    """L^j g_ik = Σ_l g_lj ∂_l g_ik at [i][j][k] (Kloeden & Platen §10.3), g given as rows."""
    g, x = diffusion, state
    n, m = len(x), len(g[0]) if g else 0
    # differentiate each g_ik only by the state it contains: additive noise
    # then costs no derivatives (n⁴ of them, for n = m = 100, took hours)
    slopes = [
        [[(l, sympy.diff(g[i][k], x[l])) for l in range(n) if x[l] in g[i][k].free_symbols] for k in range(m)]
        for i in range(n)
    ]
    return tuple(
        tuple(
            tuple(sum((g[l][j] * slope for l, slope in slopes[i][k]), sympy.Integer(0)) for k in range(m))
            for j in range(m)
        )
        for i in range(n)
    )


def is_commutative(terms, n: int, m: int) -> bool:
    """L^j g^k = L^k g^j for all noises j, k: Milstein needs no Lévy areas."""
    differences = [terms[i][j][k] - terms[i][k][j] for i in range(n) for j in range(m) for k in range(j + 1, m)]
    # most differences are decided by expansion; simplify (slow) only where it is not enough
    open_ = [d for d in differences if sympy.expand(d) != 0]
    if any(not _expression_may_vanish(d) for d in open_):
        return False
    return all(sympy.simplify(d) == 0 for d in open_)


def _expression_may_vanish(d: sympy.Expr) -> bool:
    """False where d is visibly nonzero: a polynomial in its symbols whose expansion is nonzero."""
    symbols_ = sorted(d.free_symbols, key=str)
    return not (symbols_ and d.is_polynomial(*symbols_))


def is_diagonal(diffusion, n: int, m: int) -> bool:
    """One noise per state variable, and nothing off the diagonal."""
    return n == m and all(diffusion[i][k] == 0 for i in range(n) for k in range(m) if i != k)


def is_additive(diffusion, state) -> bool:
    """g does not depend on the state."""
    return all(not (e.free_symbols & set(state)) for row in diffusion for e in row)
