"""Probability as trajectories: the reverse-time SDE and the probability-flow
ODE of a forward SDE dx = f dt + g dW whose density p_t is known
(Anderson, Stoch. Proc. Appl. 12 (1982); Song et al., ICLR 2021). With
D = g gᵀ and (∇·D)_i = Σ_j ∂_j D_ij:

    reverse-time SDE     dx = [f − ∇·D − D ∇log p_t] dt + g dW̄      (run from t = T down to 0)
    probability flow     dx/dt = f − ½ ∇·D − ½ D ∇log p_t

The ∇·D terms vanish for additive noise and are easy to drop by mistake:
with state-dependent noise, dropping them transports the wrong density
(tested). The log-likelihood of the flow follows d log p/dt = −∇·v.
"""

from __future__ import annotations

import sympy

from actionc import symbols
from actionc.derive.thermo import Sde


def noise_parts(sde: Sde) -> tuple[sympy.Matrix, sympy.Matrix]:
    if sde.diffusion is None:
        raise ValueError("a reverse-time SDE needs noise")
    D = sde.diffusion * sde.diffusion.T
    divergence = sympy.Matrix(
        [
            sum((sympy.diff(D[i, j], x) for j, x in enumerate(sde.state)), sympy.Integer(0))
            for i in range(len(sde.state))
        ]
    )
    return D, divergence


def score(log_density: sympy.Expr, state) -> sympy.Matrix:
    """∇ log p_t."""
    return sympy.Matrix([sympy.diff(log_density, x) for x in state])


def reverse_drift(sde: Sde, score: sympy.Matrix) -> sympy.Matrix:
    """f − ∇·D − D s: the reverse-time SDE's drift (forward-time convention)
    given the score s = ∇log p_t, in closed form or symbols supplied at run time."""
    D, divergence = noise_parts(sde)
    return sde.drift - divergence - D * score


def flow_velocity(sde: Sde, score: sympy.Matrix) -> sympy.Matrix:
    """f − ½ ∇·D − ½ D s: the probability flow's velocity given the score s."""
    D, divergence = noise_parts(sde)
    return sde.drift - divergence / 2 - D * score / 2


def reverse_sde(sde: Sde, log_density: sympy.Expr) -> Sde:
    """The reverse-time SDE of `sde` given log p_t (its drift, in forward-time
    convention, to be integrated from t = T back to 0 with the same g)."""
    return Sde(sde.state, reverse_drift(sde, score(log_density, sde.state)), sde.diffusion, sde.noises)


def probability_flow(sde: Sde, log_density: sympy.Expr) -> sympy.Matrix:
    """The probability-flow ODE's velocity field: its flow carries p_t."""
    return flow_velocity(sde, score(log_density, sde.state))


def solves_fokker_planck(sde: Sde, density: sympy.Expr) -> bool:
    """Does the time-dependent density satisfy ∂p/∂t = L*p (symbolically)?"""
    return solves_fokker_planck_log(sde, sympy.expand_log(sympy.log(density), force=True))


def fokker_planck_log_residual(sde: Sde, log_density: sympy.Expr) -> sympy.Expr:
    """(∂p/∂t − L*p) / p in terms of q = log p, free of exp(q):
    ∂_t q + ∂_i f_i + f_i ∂_i q − ½ [∂_ij D_ij + 2 ∂_i D_ij ∂_j q + D_ij (∂_ij q + ∂_i q ∂_j q)]."""
    x, f = sde.state, sde.drift
    D = sde.diffusion * sde.diffusion.T
    gradient = [sympy.diff(log_density, xi) for xi in x]
    residual = sympy.diff(log_density, symbols.time)
    for i, xi in enumerate(x):
        residual += sympy.diff(f[i], xi) + f[i] * gradient[i]
        for j, xj in enumerate(x):
            if D[i, j] == 0:
                continue
            second = sympy.diff(D[i, j], xi, xj) + 2 * sympy.diff(D[i, j], xi) * gradient[j]
            residual -= (second + D[i, j] * (sympy.diff(gradient[i], xj) + gradient[i] * gradient[j])) / 2
    return residual


def solves_fokker_planck_log(sde: Sde, log_density: sympy.Expr) -> bool:
    """Does p = exp(q) satisfy ∂p/∂t = L*p? The residual over p is a
    function of x and t without exponentials of q, which SymPy can decide."""
    floats = log_density.atoms(sympy.Float) | sde.drift.atoms(sympy.Float) | sde.diffusion.atoms(sympy.Float)
    exact = {f: sympy.Rational(str(f)) for f in floats}  # floats leave SymPy's simplify stuck
    sde = Sde(sde.state, sde.drift.xreplace(exact), sde.diffusion.xreplace(exact), sde.noises)
    raw = fokker_planck_log_residual(sde, log_density.xreplace(exact))
    residual = sympy.expand(raw)
    if residual.is_polynomial(*sde.state):  # Gaussian q: every coefficient, a function of t, vanishes
        return all(sympy.simplify(c) == 0 for c in sympy.Poly(residual, *sde.state).coeffs())
    return sympy.simplify(raw) == 0


def transports(velocity: sympy.Matrix, state, density: sympy.Expr) -> bool:
    """Does the flow of `velocity` carry `density`: ∂p/∂t + ∇·(v p) = 0?"""
    flux = sum((sympy.diff(v * density, x) for v, x in zip(velocity, state)), sympy.Integer(0))
    return sympy.simplify(sympy.expand((sympy.diff(density, symbols.time) + flux) / density)) == 0
