"""Element expressions → loops: how an indexed System's expressions are
printed for Numba.

An element expression (drift of x[i], with neighbours x[i+1], sums and data
arrays) becomes a loop over the element's range; each sum becomes an
accumulator and a loop; an element beyond an end reads its boundary value
(fixed) or wraps (periodic), with the check printed only where the index
can leave the range. The element loop is split in three — the ends with
checks, the interior without (an index in i ± c reaches the ends only for
the first and last c elements) — so that the interior is the loop a person
would write. Sizes are read from the parameters at run time: the source,
and the compile time, are the same for N = 16 and N = 16384.
"""

from __future__ import annotations

import itertools

import sympy

from actionc.arrays import Array, at_least, extent, outermost
from actionc.codegen.printer import KernelPrinter


class Layout:
    """Where things are at run time: sizes (ints read from p), state blocks
    (offset and length in x) and inputs (offset in data), as source lines."""

    def __init__(self, system) -> None:
        self.system = system
        self.param_index = {p.symbol: k for k, p in enumerate(system.params)}
        self.sizes = {s: f"size_{s.name}" for s in system.sizes}
        self.arrays = {a.name: a for a in system.arrays}

    def prelude(self, state: bool = True) -> list[str]:
        """Sizes; with `state`, where each block and input starts."""
        lines = [f"{name} = int(p[{self.param_index[s]}])" for s, name in self.sizes.items()]
        if not state:
            return lines
        offset = "0"
        for block in self.system.blocks:
            lines.append(f"at_{block.name} = {offset}")
            offset = f"at_{block.name} + {self.length(block)}"
        offset = "0"
        for item in self.system.inputs:
            lines.append(f"at_{item.name} = {offset}")
            offset = f"at_{item.name} + " + " * ".join(self.sizes[s] for s in item.sizes)
        return lines

    def length(self, block) -> str:
        if block.array is None:
            return "1"
        ((lo, hi),) = block.array.bounds
        return self.integer(hi - lo + 1)

    def integer(self, expr) -> str:
        return IndexPrinter(self, {}).integer(expr)


class IndexPrinter(KernelPrinter):
    """KernelPrinter with array elements, sums' accumulators, and integer
    index arithmetic (sizes and indices are ints in the kernel). Every
    offset into an array is cast to uint64 where it is used: it is ≥ 0 by
    construction, and a signed index makes Numba check for Python's
    negative indices at every access, which kept LLVM from vectorizing the
    element loops (10× slower)."""

    def __init__(self, layout: Layout, names: dict, ranges: dict | None = None) -> None:
        super().__init__({**names, **layout.sizes})
        self.layout = layout
        self.ranges = ranges or {}
        self._integers = False

    def integer(self, expr) -> str:
        saved, self._integers = self._integers, True
        try:
            return self._print(expr if isinstance(expr, sympy.Basic) else sympy.Integer(expr))
        finally:
            self._integers = saved

    def _print(self, expr, **kwargs) -> str:
        if self._integers and isinstance(expr, sympy.Expr) and expr.is_Integer:
            return str(int(expr))
        return super()._print(expr, **kwargs)

    def _print_Integer(self, expr) -> str:
        return str(int(expr)) if self._integers else repr(float(expr))

    def _print_Symbol(self, expr) -> str:
        if expr.is_integer and expr not in self.names:
            return f"i_{expr.name}"  # an index: kernel locals never clash with model names
        return super()._print_Symbol(expr)

    _print_Dummy = _print_Symbol

    def _print_Max(self, expr) -> str:
        return "max(" + ", ".join(self.integer(a) if self._integers else self._print(a) for a in expr.args) + ")"

    def _print_Min(self, expr) -> str:
        return "min(" + ", ".join(self.integer(a) if self._integers else self._print(a) for a in expr.args) + ")"

    def _print_Relational(self, expr) -> str:
        op = {"==": "==", ">=": ">=", "<=": "<=", ">": ">", "<": "<", "!=": "!="}[expr.rel_op]
        return f"({self.integer(expr.lhs)} {op} {self.integer(expr.rhs)})"

    def _print_And(self, expr) -> str:
        return "(" + " and ".join(self._print(a) for a in expr.args) + ")"

    def _print_Piecewise(self, expr) -> str:
        text = "0.0"
        for value, condition in reversed(expr.args):
            text = (
                self._print(value)
                if condition is sympy.true
                else f"({self._print(value)} if {self._print(condition)} else {text})"
            )
        return text

    def _print_Indexed(self, expr) -> str:
        array = self.layout.arrays[expr.base.name]
        indices = expr.indices
        if array.role == "input":
            item = next(i for i in self.layout.system.inputs if i.name == array.name)
            flat, stride = "", ""
            for index, size in reversed(list(zip(indices, item.sizes))):
                term = f"({self.integer(index)} - 1)" + (f" * {stride}" if stride else "")
                flat = term if not flat else f"{term} + {flat}"
                stride = self.layout.sizes[size] if not stride else f"{stride} * {self.layout.sizes[size]}"
            return f"data[uint64(at_{array.name} + {flat})]"
        (index,) = indices
        ((lo, hi),) = array.bounds
        base = f"at_{array.name}"
        direct = f"x[uint64({base} + {self.integer(index - lo)})]"
        least, greatest = extent(index, self.ranges)
        sizes = tuple(self.layout.sizes)
        if at_least(least, lo, sizes) and at_least(hi, greatest, sizes):
            return direct
        e = self.integer(index)
        if array.periodic:
            return f"x[uint64({base} + ({e} - {self.integer(lo)}) % ({self.integer(hi - lo + 1)}))]"
        beyond = "0.0"
        for at, value in reversed(array.fixed):
            beyond = f"({self._print(value)} if {e} == {self.integer(at)} else {beyond})"
        return f"({direct} if {self.integer(lo)} <= {e} <= {self.integer(hi)} else {beyond})"


class Emitter:
    """Writes the lines that compute element expressions, sums as loops."""

    def __init__(self, layout: Layout, names: dict) -> None:
        self.layout = layout
        self.names = names
        self.counter = itertools.count()

    def value(self, expr: sympy.Expr, ranges: dict, indent: str) -> tuple[list[str], str]:
        """(lines, text): the lines compute what `text` needs (sums into
        accumulators, common subexpressions into temporaries)."""
        lines, (text,) = self.values([expr], ranges, indent)
        return lines, text

    def values(self, exprs: list, ranges: dict, indent: str) -> tuple[list[str], list[str]]:
        """(lines, texts): as value, for several expressions that share their
        sums, elements and common subexpressions."""
        lines: list[str] = []
        replaced = {}
        for node in _outer_sums(sympy.Tuple(*exprs)):
            accumulator = f"acc{next(self.counter)}"
            body, (j, lo, hi) = outermost(node)
            printer = IndexPrinter(self.layout, self.names, ranges)
            lines.append(f"{indent}{accumulator} = 0.0")
            lines.append(f"{indent}for i_{j.name} in range({printer.integer(lo)}, {printer.integer(hi)} + 1):")
            inner, text = self.value(body, {**ranges, j: (lo, hi)}, indent + "    ")
            lines += inner
            lines.append(f"{indent}    {accumulator} += {text}")
            replaced[node] = sympy.Symbol(accumulator, real=True)
        exprs = [expr.xreplace(replaced) for expr in exprs]
        printer = IndexPrinter(self.layout, {**self.names, **{s: s.name for s in replaced.values()}}, ranges)
        elements = {}  # each element read once, into a local (its boundary check, if any, once)
        for ref in sorted(sympy.Tuple(*exprs).atoms(sympy.Indexed), key=sympy.default_sort_key):
            local = sympy.Symbol(f"_e{next(self.counter)}", real=True)
            lines.append(f"{indent}{local.name} = {printer._print(ref)}")
            printer.names[local] = local.name
            elements[ref] = local
        exprs = [expr.xreplace(elements) for expr in exprs]
        temporaries, reduced = sympy.cse(exprs, symbols=self._temporaries(), order="canonical")
        for symbol, value in temporaries:
            printer.names[symbol] = symbol.name
            lines.append(f"{indent}{symbol.name} = {printer._print(value)}")
        return lines, [printer._print(r) for r in reduced]

    def _temporaries(self):
        while True:
            yield sympy.Symbol(f"_t{next(self.counter)}", real=True)

    def fill(self, pairs, target: str, indent: str = "    ", scale: str | None = None) -> list[str]:
        """`target` (formatted with an element's offset `{at}`) = expr for
        every element of each (block, expr) pair.

        A term Σ_j A(j)·B(j, i) whose A does not depend on the element i (a
        data sum: Σ_j r(j) X[j, i] of a gradient) is computed with the loops
        interchanged — A(j) once per j, then added to every element — so a
        gradient costs what X.T @ r costs, not d times more; terms of several
        blocks with the same A(j) (the weights and the intercept of a
        regression) share one pass over j. With `scale`, the target is
        updated in place: target += scale * expr (a leapfrog drift)."""
        lines, groups = self._plain_and_groups(pairs, target, indent, scale)
        for ((j, lo, hi), outside), parts in groups.items():
            weight = outside if scale is None else sympy.Symbol(scale, real=True) * outside
            lines += self._interchanged(j, lo, hi, weight, parts, target, indent)[0]
        return lines

    def fill_and_value(self, pairs, target: str, expr: sympy.Expr, indent: str = "    ") -> tuple[list[str], str]:
        """fill(pairs, target), and (lines, text) of the scalar expr (an
        energy beside its gradient): a sum of expr over the rows of an
        interchanged pass is added up in that pass, sharing its reads and
        common subexpressions (the dot products and exponentials of a
        regression are then computed once for both)."""
        lines, groups = self._plain_and_groups(pairs, target, indent)
        shared = {}
        for node in _outer_sums(expr):
            body, (k, lo, hi) = outermost(node)
            for (j, a, b), _ in groups:
                if (a, b) == (lo, hi):
                    shared.setdefault((j, a, b), []).append((node, body.xreplace({k: j})))
                    break
        replaced = {}
        for ((j, lo, hi), outside), parts in groups.items():
            summands = shared.pop((j, lo, hi), [])
            computed, accumulators = self._interchanged(j, lo, hi, outside, parts, target, indent, summands)
            lines += computed
            replaced.update(zip((node for node, _ in summands), accumulators))
        rest = Emitter(self.layout, {**self.names, **{a: a.name for a in replaced.values()}})
        rest.counter = self.counter
        computed, text = rest.value(expr.xreplace(replaced), {}, indent)
        return lines + computed, text

    def _plain_and_groups(self, pairs, target: str, indent: str, scale: str | None = None):
        """The element loops of the terms that are not interchanged, and the
        interchanged terms grouped by their pass: {(limits, A(j)): [(block, B)]}."""
        lines, groups = [], {}
        for block, expr in pairs:
            plain, interchanged = self._split_interchangeable(expr, block.index)
            lines += self.element_loop(block, plain, target, indent, scale=scale)
            for factor, node in interchanged:
                body, limits = outermost(node)
                outside, inside = _factor(body, block.index)
                groups.setdefault((limits, factor * outside), []).append((block, inside))
        return lines, groups

    def element_loop(
        self, block, expr: sympy.Expr, target: str, indent: str = "    ", ranges=None, scale: str | None = None
    ) -> list[str]:
        """`target` (formatted with the element's offset `{at}`) = expr for
        every element of the block: ends checked, interior unchecked."""
        ranges = dict(ranges or {})
        if block.array is None:
            lines, text = self.value(expr, ranges, indent)
            update = "=" if scale is None else f"+= {scale} *"
            text = text if scale is None else f"({text})"
            return lines + [f"{indent}{target.format(at=f'uint64(at_{block.name})')} {update} {text}"]
        ((lo, hi),) = block.array.bounds
        i = block.index
        low, high = self._reach(expr, i)
        pieces = (
            [(lo, hi)] if low == 0 and high == 0 else [(lo, lo + low - 1), (lo + low, hi - high), (hi - high + 1, hi)]
        )
        out = []
        for k, (a, b) in enumerate(pieces):
            printer = IndexPrinter(self.layout, self.names)
            if len(pieces) == 3 and k == 0:
                start, stop = printer.integer(a), f"min({printer.integer(b)}, {printer.integer(hi)}) + 1"
            elif len(pieces) == 3 and k == 2:
                start, stop = f"max({printer.integer(a)}, {printer.integer(lo + low)})", f"{printer.integer(b)} + 1"
            else:
                start, stop = printer.integer(a), f"{printer.integer(b)} + 1"
            interior = len(pieces) == 1 or k == 1
            element_ranges = {**ranges, i: (a, b) if interior else (lo, hi)}
            lines, text = self.value(expr, element_ranges, indent + "    ")
            out.append(f"{indent}for i_{i.name} in range({start}, {stop}):")
            out += lines
            offset = f"uint64(at_{block.name} + i_{i.name} - {printer.integer(lo)})"
            update, text = ("=", text) if scale is None else (f"+= {scale} *", f"({text})")
            out.append(f"{indent}    {target.format(at=offset)} {update} {text}")
        return out

    def _split_interchangeable(self, expr: sympy.Expr, i: sympy.Symbol | None):
        """(the other terms, [(factor, Σ node)]): the terms c·Σ_j A(j)·B(j, i)
        with c and the limits free of i, B free of sums (a scalar block, i
        None: every term c·Σ_j A(j))."""
        plain, found = [], []
        for term in sympy.Add.make_args(sympy.expand(expr, deep=False, power_exp=False, log=False, multinomial=False)):
            factors = sympy.Mul.make_args(term)
            sums = [f for f in factors if isinstance(f, sympy.Sum)]
            rest = sympy.Mul(*(f for f in factors if not isinstance(f, sympy.Sum)))
            if len(sums) == 1 and (
                i is None or (not rest.has(i) and not any(lim.has(i) for lim in sums[0].limits[-1][1:]))
            ):
                body, _ = outermost(sums[0])
                _, inside = _factor(body, i)
                if (i is None or inside.has(i)) and not inside.has(sympy.Sum):
                    found.append((rest, sums[0]))
                    continue
            plain.append(term)
        return sympy.Add(*plain), found

    def _interchanged(self, j, lo, hi, outside, parts, target: str, indent: str, summands=()):
        """The pass over j: (lines, the accumulators of the summands' ((node, body)) sums over j)."""
        printer = IndexPrinter(self.layout, self.names)
        weight = f"w{next(self.counter)}"
        accumulators = [sympy.Symbol(f"acc{next(self.counter)}", real=True) for _ in summands]
        lines = [f"{indent}{a.name} = 0.0" for a in accumulators]
        lines.append(f"{indent}for i_{j.name} in range({printer.integer(lo)}, {printer.integer(hi)} + 1):")
        ranges = {j: (lo, hi)}
        computed, (text, *terms) = self.values([outside, *(body for _, body in summands)], ranges, indent + "    ")
        lines += computed + [f"{indent}    {weight} = {text}"]
        lines += [f"{indent}    {a.name} += {term}" for a, term in zip(accumulators, terms)]
        for block, inside in parts:
            if block.array is None:
                computed, text = self.value(inside, ranges, indent + "    ")
                at = f"uint64(at_{block.name})"
                lines += computed + [f"{indent}    {target.format(at=at)} += {weight} * {text}"]
                continue
            i = block.index
            ((a, b),) = block.array.bounds
            computed, text = self.value(inside, {**ranges, i: (a, b)}, indent + "        ")
            lines.append(f"{indent}    for i_{i.name} in range({printer.integer(a)}, {printer.integer(b)} + 1):")
            lines += computed
            offset = f"uint64(at_{block.name} + i_{i.name} - {printer.integer(a)})"
            lines.append(f"{indent}        {target.format(at=offset)} += {weight} * {text}")
        return lines, accumulators

    def _reach(self, expr: sympy.Expr, i: sympy.Symbol) -> tuple[int, int]:
        """How far below and above element i the expression reads state
        arrays that have boundaries (i + c with constant c)."""
        low = high = 0
        for ref in expr.atoms(sympy.Indexed):
            array: Array = self.layout.arrays[ref.base.name]
            if array.role == "input" or not (array.periodic or array.fixed):
                continue
            offset = sympy.expand(ref.indices[0] - i)
            if offset.is_Integer:
                low, high = max(low, -int(offset)), max(high, int(offset))
        return low, high


def _factor(body: sympy.Expr, i) -> tuple[sympy.Expr, sympy.Expr]:
    """body = outside · inside, inside the factors that depend on i (all of
    them 1 for a scalar block, i None)."""
    factors = sympy.Mul.make_args(body)
    inside = sympy.Mul(*(f for f in factors if i is not None and f.has(i)))
    outside = sympy.Mul(*(f for f in factors if i is None or not f.has(i)))
    return outside, inside


def _outer_sums(expr: sympy.Expr) -> list[sympy.Sum]:
    found, stack = [], [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, sympy.Sum):
            if node not in found:
                found.append(node)
            continue
        stack.extend(reversed(node.args))
    return found
