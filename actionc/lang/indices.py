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
    ok = (
        not stray
        and poly is not False
        and (
            (poly is None and expr.is_Integer)
            or (poly is not None and poly.total_degree() <= 1 and all(c.is_Integer for c in poly.coeffs()))
        )
    )
    if not ok:
        raise ModelError(
            f"{what} must be a whole number: integers, sizes and indices added or subtracted",
            span,
            hint="write e.g. i+1, N-1 or 2; a size is a parameter with a whole value, like 'param N = 32'",
        )
    return expr


def within(least, greatest, lo, hi, context) -> bool:
    """least..greatest lies in lo..hi for every size ≥ 1 — or, where that
    depends on the sizes (x[7] of x[1..N]), for their default values, and
    the condition is recorded in the context's requirements for run time."""
    sizes = context.sizes
    conditions = [sympy.expand(least - lo), sympy.expand(hi - greatest)]
    unproven = [c for c in conditions if not at_least(c, 0, sizes)]
    if not unproven:
        return True
    bound = {symbol for symbol, _, _ in context.bound.values()}
    if any(c.free_symbols & bound for c in unproven):
        return False
    if all(c.xreplace(context.values) >= 0 for c in unproven):
        context.requirements.extend(c for c in unproven if c not in context.requirements)
        return True
    return False


def check_element(array: Array, indices, context, span: Span) -> None:
    """Every element array[indices] read over the bound indices' ranges
    exists; a ModelError that says which does not, otherwise."""
    if array.periodic:
        return
    written = ", ".join(str(i) for i in indices)
    for dimension, (index, (lo, hi)) in enumerate(zip(indices, reachable(array))):
        least, greatest = extent(index, context.ranges)
        if not within(least, greatest, lo, hi, context):
            (own_lo, own_hi) = array.bounds[dimension]
            beyond = own_hi + 1 if not at_least(own_hi, greatest, context.sizes) else own_lo - 1
            ends = (
                ""
                if array.role == "input"
                else (
                    f"; to read beyond an end, give it a boundary: 'boundary {array.name}[{beyond}] = 0' "
                    f"or 'boundary {array.name} periodic'"
                )
            )
            raise ModelError(
                f"{array.name}[{written}] reaches {array.name}[{least}] … {array.name}[{greatest}], "
                f"outside {own_lo}..{own_hi}",
                span,
                hint=f"check the index and the sum's range{ends}",
            )


__all__ = ["as_size", "at_least", "check_element", "extent", "within", "index_symbol", "integer_expression"]
