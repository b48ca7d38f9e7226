"""Arrays of indexed models: what an indexed name is (its range and its
boundary), shared by the model, the System and the code generator."""

from __future__ import annotations

from dataclasses import dataclass

import sympy


@dataclass(frozen=True)
class Array:
    """An indexed name: `coord q[1..N]` (and its velocities q_dot or momenta
    p_q), `state x[1..N]`, `input X[n, d]`. `bounds` are inclusive, per
    dimension, in integers and size parameters; beyond the ends an element
    is a `fixed` value (index, value) or, `periodic`, wraps around."""

    base: sympy.IndexedBase
    role: str  # coord, velocity, momentum, state, input
    bounds: tuple[tuple[sympy.Expr, sympy.Expr], ...]
    periodic: bool = False
    fixed: tuple[tuple[sympy.Expr, sympy.Expr], ...] = ()

    @property
    def name(self) -> str:
        return self.base.name

    @property
    def size(self) -> sympy.Expr:
        ((lo, hi),) = self.bounds
        return hi - lo + 1


@dataclass(frozen=True)
class Input:
    """`input X[n, d], y[n] from "file"`: arrays read at run time; `sizes`
    are the parameters their shape sets."""

    name: str
    sizes: tuple[sympy.Symbol, ...]
    path: str | None


def outermost(node: sympy.Sum):
    """(body, (j, lo, hi)) of the outermost sum: SymPy keeps nested sums as
    one Sum with several limits, the innermost first."""
    *inner, last = node.limits
    return (sympy.Sum(node.function, *inner) if inner else node.function), last


def whole(expr, values: dict) -> int:
    """An index expression (or a plain int) at these values of its sizes."""
    return int((expr if isinstance(expr, sympy.Basic) else sympy.Integer(expr)).xreplace(values))


# ---- proofs about indices, for every size at once ---------------------------


def as_size(symbol: sympy.Symbol) -> sympy.Symbol:
    """The stand-in of a size parameter in proofs: an integer ≥ 1."""
    return sympy.Symbol(symbol.name, integer=True, positive=True)


def _proofs(expr: sympy.Expr, sizes) -> sympy.Expr:
    return expr.xreplace({s: as_size(s) for s in sizes})


def at_least(a: sympy.Expr, b: sympy.Expr, sizes) -> bool:
    """a ≥ b for every size ≥ 1."""
    return bool(_proofs(sympy.expand(a - b), sizes).is_nonnegative)


def extent(e: sympy.Expr, ranges: dict) -> tuple[sympy.Expr, sympy.Expr]:
    """The least and greatest value of an affine e over the bound indices
    (`ranges`: index → (lo, hi), bounds possibly in outer indices)."""
    low, high = e, e
    for _ in range(len(ranges) + 1):
        progressed = False
        for index, (lo, hi) in ranges.items():
            for which in (0, 1):
                value = (low, high)[which]
                if value.has(index):
                    slope = sympy.expand(value).coeff(index)
                    pick = (lo if slope > 0 else hi) if which == 0 else (hi if slope > 0 else lo)
                    value = sympy.expand(value.xreplace({index: pick}))
                    low, high = (value, high) if which == 0 else (low, value)
                    progressed = True
        if not progressed:
            break
    return low, high


def reachable(array: Array) -> list[tuple[sympy.Expr, sympy.Expr]]:
    """Per dimension, the indices one may read: the range, widened by the
    boundary values next to its ends."""
    (lo, hi), *rest = array.bounds
    at = [sympy.expand(index) for index, _ in array.fixed]
    below = 0
    while sympy.expand(lo - below - 1) in at:
        below += 1
    above = 0
    while sympy.expand(hi + above + 1) in at:
        above += 1
    return [(lo - below, hi + above), *rest]
