"""Indices of indexed models: what an index expression may be, the range
each bound index runs over, and the check that every element a model reads
exists — inside its array, or a boundary value beyond an end — decided
when the model is read, for every size at once (sizes are integers ≥ 1).
"""

from __future__ import annotations

import sympy

from actionc.arrays import Array, as_size, at_least, extent, reachable
from actionc.errors import ModelError, Span


def index_symbol(name: str) -> sympy.Symbol:
    return sympy.Symbol(name, integer=True)


def integer_expression(expr: sympy.Expr, allowed: set, span: Span, what: str) -> sympy.Expr:
    """An index or a bound: integers, size parameters and bound indices,
    added and subtracted (affine, integer coefficients)."""
    stray = expr.free_symbols - allowed
    poly = None
    if not stray:
        try:
            poly = sympy.Poly(expr, *sorted(expr.free_symbols, key=str)) if expr.free_symbols else None
        except sympy.PolynomialError:
            poly = False
    ok = not stray and poly is not False and (
        (poly is None and expr.is_Integer)
        or (poly is not None and poly.total_degree() <= 1 and all(c.is_Integer for c in poly.coeffs()))
    )
    if not ok:
        raise ModelError(
            f"{what} must be a whole number: integers, sizes and indices added or subtracted",
            span,
            hint="write e.g. i+1, N-1 or 2; a size is a parameter with a whole value, like 'param N = 32'",
        )
    return expr


def check_element(array: Array, indices, ranges: dict, sizes, span: Span) -> None:
    """Every element array[indices] read over the bound indices' ranges
    exists; a ModelError that says which does not, otherwise."""
    if array.periodic:
        return
    written = ", ".join(str(i) for i in indices)
    for dimension, (index, (lo, hi)) in enumerate(zip(indices, reachable(array))):
        least, greatest = extent(index, ranges)
        if not (at_least(least, lo, sizes) and at_least(hi, greatest, sizes)):
            (own_lo, own_hi) = array.bounds[dimension]
            ends = "" if array.role == "input" else (
                f"; to read beyond an end, give it a boundary: 'boundary {array.name}[{own_lo - 1}] = 0' "
                f"or 'boundary {array.name} periodic'"
            )
            raise ModelError(
                f"{array.name}[{written}] reaches {array.name}[{least}] … {array.name}[{greatest}], "
                f"outside {own_lo}..{own_hi}",
                span,
                hint=f"check the index and the sum's range{ends}",
            )


__all__ = ["as_size", "at_least", "check_element", "extent", "index_symbol", "integer_expression"]
