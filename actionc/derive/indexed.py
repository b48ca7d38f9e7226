"""Calculus on indexed expressions: derivatives of expressions with sums
with respect to one element x[k] of an array, for every k at once, never
unrolled.

An expression holds array elements (SymPy Indexed: x[i + 1], X[i, j]) and
sums (SymPy Sum with one limit each; a pair sum Σ_{i<j} is Σ_i Σ_{j=i+1}).
The derivative ∂/∂x[k] of x[e] is the indicator [e = k]; inside a sum over
j that indicator picks the one j with e(j) = k (j = k − c for e = j + c),
valid where that j lies in the sum's range. Indicators that do not involve
j leave the sum as it is, and range conditions on j narrow its limits (the
pair sum's ∂/∂x[k] keeps Σ_{i<k} and Σ_{j>k}). What is left at the top is a
condition on k, dropped where it holds for every k of the array's range.

Periodic arrays: their sums run over the whole period, so exactly one j
matches, j = k − c read modulo the period (the kernel wraps the index).

Reference: this is the symbolic-stencil view of Devito (Louboutin et al.,
GMD 2019), applied to Euler–Lagrange, Hamilton and gradient derivations.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from actionc.arrays import Array, as_size, outermost, whole


class IndexingError(ValueError):
    """An indexed expression this calculus cannot differentiate, in words."""


@dataclass(frozen=True)
class _Term:
    """coefficient × Π [delta = k] × Π [g ≥ 0] (each g affine in the indices)."""

    coefficient: sympy.Expr
    deltas: tuple[sympy.Expr, ...]
    bounds: tuple[sympy.Expr, ...]


def element_index(name: str = "i") -> sympy.Symbol:
    """The symbol an element expression is written in: x'[i] = f(i)."""
    return sympy.Symbol(name, integer=True)


def derivative(expr: sympy.Expr, target, k: sympy.Symbol | None, arrays: dict[str, Array], sizes=()) -> sympy.Expr:
    """∂expr/∂target[k] (target an IndexedBase of a 1-D array) or ∂expr/∂target
    (a scalar Symbol, k None), for every k in the array's range at once;
    `sizes` are integers ≥ 1 (what conditions on k are dropped relies on)."""
    proofs = {s: as_size(s) for s in sizes}
    if isinstance(target, sympy.IndexedBase):
        ((lo, hi),) = arrays[target.name].bounds
        return _finish(_terms(expr, target, k, arrays), k, lo, hi, proofs)
    return _finish(_terms(expr, target, None, arrays), None, None, None, proofs)


def _top_level(expr: sympy.Expr, target):
    """The references to target and the sums holding it, outside other sums."""
    refs, sums = set(), set()
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, sympy.Sum):
            if node.has(target):
                sums.add(node)
            continue
        if isinstance(target, sympy.IndexedBase) and isinstance(node, sympy.Indexed):
            if node.base == target:
                refs.add(node)
            continue
        if node == target:
            refs.add(node)
            continue
        stack.extend(node.args)
    return refs, sums


def _terms(expr: sympy.Expr, target, k, arrays) -> list[_Term]:
    if not expr.has(target):
        return []
    refs, sums = _top_level(expr, target)
    dummies = {node: sympy.Dummy() for node in (*refs, *sums)}
    back = {d: node for node, d in dummies.items()}
    replaced = expr.xreplace(dummies)
    terms = []
    for ref in refs:
        partial = sympy.diff(replaced, dummies[ref]).xreplace(back)
        if partial != 0:
            deltas = (ref.indices[0],) if isinstance(ref, sympy.Indexed) else ()
            terms.append(_Term(partial, deltas, ()))
    for node in sums:
        partial = sympy.diff(replaced, dummies[node]).xreplace(back)
        if partial != 0:
            for term in _sum_terms(node, target, k, arrays):
                terms.append(_Term(partial * term.coefficient, term.deltas, term.bounds))
    return terms


def _affine(e: sympy.Expr, j: sympy.Symbol) -> tuple[sympy.Expr, sympy.Expr]:
    """e = a*j + b with a = ±1, or IndexingError."""
    a = sympy.expand(e).coeff(j)
    b = sympy.expand(e - a * j)
    if a not in (1, -1) or b.has(j):
        raise IndexingError(f"the index {e} is not {j} plus or minus a constant; write indices like {j}+1 or {j}-2")
    return a, b


def _sum_terms(node: sympy.Sum, target, k, arrays) -> list[_Term]:
    body, (j, a, b) = outermost(node)
    periodic = isinstance(target, sympy.IndexedBase) and arrays[target.name].periodic
    out = []
    for term in _terms(body, target, k, arrays):
        solved = [d for d in term.deltas if d.has(j)]
        if solved:
            first = solved[0]
            sign, rest = _affine(first, j)
            j0 = sign * (k - rest)  # the one j with first(j) = k
            replace = {j: j0}
            deltas = [d.xreplace(replace) for d in term.deltas if d is not first]
            bounds = [g.xreplace(replace) for g in term.bounds]
            if periodic:
                ((lo, hi),) = arrays[target.name].bounds
                if sympy.simplify(a - lo) != 0 or sympy.simplify(b - hi) != 0:
                    raise IndexingError(
                        f"a sum over the periodic array '{target.name}' must run over its whole range {lo}..{hi}"
                    )
                _only_periodic(body, j, arrays)
            else:
                bounds += [j0 - a, b - j0]
            out.append(_Term(term.coefficient.xreplace(replace), tuple(deltas), tuple(bounds)))
            continue
        if any(d.has(j) for d in term.deltas):
            raise IndexingError("an index used twice in one element")
        lo, hi, outside = a, b, []
        for g in term.bounds:  # g ≥ 0 narrows the sum's range where it involves j
            if not g.has(j):
                outside.append(g)
                continue
            sign, rest = _affine(g, j)
            if sign == 1:
                lo = sympy.Max(lo, -rest)  # j + rest ≥ 0
            else:
                hi = sympy.Min(hi, rest)  # rest - j ≥ 0
        out.append(_Term(sympy.Sum(term.coefficient, (j, lo, hi)), term.deltas, tuple(outside)))
    return out


def _only_periodic(body: sympy.Expr, j: sympy.Symbol, arrays) -> None:
    for ref in body.atoms(sympy.Indexed):
        if any(index.has(j) for index in ref.indices) and not arrays[ref.base.name].periodic:
            raise IndexingError(
                f"the sum over {j} mixes the periodic array with '{ref.base.name}', which is not periodic; "
                "write two sums"
            )


def _holds(difference: sympy.Expr, k, lo, hi, proofs) -> bool:
    """difference(k) ≥ 0 for every k in lo..hi (difference affine in k)."""
    if k is not None and difference.has(k):
        slope = sympy.expand(difference).coeff(k)
        if not slope.is_number:
            return False
        difference = difference.xreplace({k: lo if slope > 0 else hi})
    return bool(sympy.expand(difference.xreplace(proofs)).is_nonnegative)


def _tighten(expr: sympy.Expr, k, lo, hi, proofs) -> sympy.Expr:
    """Max/Min in sums' limits without the arguments that never win for k
    in lo..hi: Σ_{i=1}^{min(N, k−1)} is Σ_{i=1}^{k−1}."""

    def pick(node):
        if isinstance(node, (sympy.Max, sympy.Min)):
            args = list(node.args)
            for a in args:
                others = [b for b in args if b is not a]
                wins = all(_holds(a - b if isinstance(node, sympy.Max) else b - a, k, lo, hi, proofs) for b in others)
                if wins:
                    return a
        return node

    return expr.replace(lambda n: isinstance(n, (sympy.Max, sympy.Min)), pick)


def _finish(terms: list[_Term], k, lo, hi, proofs) -> sympy.Expr:
    total = sympy.Integer(0)
    for term in terms:
        conditions = [sympy.Eq(k, delta) for delta in term.deltas]  # a fixed element, like x[1]
        conditions += [sympy.Ge(g, 0) for g in term.bounds if not _holds(g, k, lo, hi, proofs)]
        coefficient = _tighten(term.coefficient, k, lo, hi, proofs) if k is not None else term.coefficient
        if conditions:
            total += sympy.Piecewise((coefficient, sympy.And(*conditions)), (0, True))
        else:
            total += coefficient
    return total


def combine_sums(expr: sympy.Expr) -> sympy.Expr:
    """Terms c·Σ_limits f of an Add with the same limits as one sum, Σ (c·f)."""
    if not isinstance(expr, sympy.Add):
        return expr
    grouped: dict = {}
    rest = []
    for term in expr.args:
        coefficient, factors = term.as_coeff_mul()
        sums = [f for f in factors if isinstance(f, sympy.Sum)]
        if len(sums) == 1 and len(factors) == 1:
            grouped.setdefault(sums[0].limits, []).append(coefficient * sums[0].function)
        else:
            rest.append(term)
    return sympy.Add(*rest, *(sympy.Sum(sympy.Add(*bodies), *limits) for limits, bodies in grouped.items()))


# ---- unrolling, for tests and for users' property tests ---------------------


def unrolled(expr: sympy.Expr, sizes: dict[sympy.Symbol, int], arrays: dict[str, Array], names) -> sympy.Expr:
    """expr with the sizes given, every sum written out and every element
    x[e] replaced by names(x, e) (a scalar symbol), or by its boundary value
    beyond the ends, or wrapped into the range of a periodic array: the
    scalar model the indexed one stands for."""
    expr = expr.xreplace({s: sympy.Integer(v) for s, v in sizes.items()})

    def element(node: sympy.Indexed) -> sympy.Expr:
        array = arrays[node.base.name]
        index = tuple(int(i) for i in node.indices)
        bounds = [(whole(lo, sizes), whole(hi, sizes)) for lo, hi in array.bounds]
        if array.periodic:
            ((lo, hi),) = bounds
            index = (lo + (index[0] - lo) % (hi - lo + 1),)
        if all(lo <= i <= hi for i, (lo, hi) in zip(index, bounds)):
            return names(array, index)
        for at, value in array.fixed:
            if whole(at, sizes) == index[0]:
                return value.xreplace(sizes) if isinstance(value, sympy.Basic) else sympy.Integer(value)
        raise IndexingError(f"{node.base.name}{list(index)} is outside {bounds} and has no boundary value")

    def walk(node):
        if isinstance(node, sympy.Sum):
            body, (j, a, b) = outermost(node)
            a, b = int(walk(a)), int(walk(b))
            return sympy.Add(*(walk(body.xreplace({j: sympy.Integer(v)})) for v in range(a, b + 1)))
        if isinstance(node, sympy.Indexed):
            return element(sympy.Indexed(node.base, *(walk(i) for i in node.indices)))
        if isinstance(node, sympy.Piecewise):
            for value, condition in node.args:
                if bool(walk(condition)):
                    return walk(value)
            return sympy.Integer(0)
        if not node.args:
            return node
        return node.func(*(walk(a) for a in node.args))

    return walk(expr)
