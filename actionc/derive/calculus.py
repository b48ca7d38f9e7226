"""Vector calculus on expressions: what lower computes once so that the code
generator never differentiates. Pure functions, no model involved."""

from __future__ import annotations

import sympy


def gradient(f: sympy.Expr, variables) -> tuple[sympy.Expr, ...]:
    return tuple(sympy.diff(f, x) for x in variables)


def jacobian(fields, variables) -> tuple[tuple[sympy.Expr, ...], ...]:
    """∂f_i/∂x_j at [i][j]."""
    return tuple(tuple(sympy.diff(f, x) for x in variables) for f in fields)


def symmetric_hessian(f: sympy.Expr, variables) -> tuple[tuple[sympy.Expr, ...], ...]:
    """∂²f/∂x_i∂x_j from the lower triangle only: half the derivatives, and
    exactly symmetric."""
    first = gradient(f, variables)
    rows = [[sympy.diff(g, x) for x in variables[: i + 1]] for i, g in enumerate(first)]
    n = len(variables)
    return tuple(tuple(rows[max(i, j)][min(i, j)] for j in range(n)) for i in range(n))


def divergence(fields, variables) -> sympy.Expr:
    """∇·v = Σ_i ∂v_i/∂x_i."""
    return sum((sympy.diff(v, x) for v, x in zip(fields, variables)), sympy.Integer(0))
