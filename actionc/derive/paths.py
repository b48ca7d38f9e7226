"""Path actions of SDEs dx = f dt + g dW with invertible D = g gᵀ, as
Lagrangians of the path x(t) and its velocity x' (Dürr & Bach 1978;
Freidlin & Wentzell, Random Perturbations of Dynamical Systems, 2012):

    Freidlin–Wentzell   L_FW = ½ (x' − f)ᵀ D⁻¹ (x' − f)
    Onsager–Machlup     L_OM = L_FW + ½ ∇·f

The velocity of state x is the symbol x_dot."""

from __future__ import annotations

import sympy
from sympy.matrices.exceptions import NonInvertibleMatrixError

from actionc import symbols
from actionc.derive.thermo import Sde


def path_velocities(sde: Sde) -> tuple[sympy.Symbol, ...]:
    return tuple(symbols.velocity(x) for x in sde.state)


def inverse_diffusion_tensor(sde: Sde) -> sympy.Matrix:
    """D⁻¹, or ValueError where D = g gᵀ is singular."""
    if sde.diffusion is None:
        raise ValueError("a path action needs noise")
    singular = "a path action needs an invertible diffusion tensor g gᵀ (noise on every state variable)"
    D = sde.diffusion * sde.diffusion.T
    if D.det() == 0:
        raise ValueError(singular)
    try:
        return D.inv()
    except NonInvertibleMatrixError:  # det ≠ 0 as written, 0 once simplified (sin² + cos² where 1 is meant)
        raise ValueError(singular) from None


def freidlin_wentzell(sde: Sde) -> sympy.Expr:
    """½ (x' − f)ᵀ D⁻¹ (x' − f): the large-deviation action density."""
    mismatch = sympy.Matrix(path_velocities(sde)) - sde.drift
    return sympy.factor_terms((mismatch.T * inverse_diffusion_tensor(sde) * mismatch)[0] / 2)


def onsager_machlup(sde: Sde) -> sympy.Expr:
    """L_FW + ½ ∇·f: the most-probable-path action density."""
    divergence = sum((sympy.diff(f, x) for f, x in zip(sde.drift, sde.state)), sympy.Integer(0))
    return freidlin_wentzell(sde) + divergence / 2
