"""The statements and parts of statements of indexed models, for the
resolver (lang/resolve.py, which mixes this class in): array ranges and
sizes, boundaries, data inputs, the index of an init, the index of a data
line. Index proofs are lang/indices.py's; see docs/indexed.md."""

from __future__ import annotations

import dataclasses

import sympy

from actionc import symbols
from actionc.arrays import whole
from actionc.errors import ModelError
from actionc.lang import expressions, indices
from actionc.lang import syntax as ast
from actionc.lang.scope import ROLE_WORDS
from actionc.model import Array, Input, Kind, Let, Param

MAX_COMPONENTS = 1000  # of a data distribution: its density is a sum over them


class IndexedStatements:
    """Methods of the resolver for what indexed models add."""

    def _range(self, bounds: ast.Range) -> tuple[tuple[sympy.Expr, sympy.Expr]]:
        lo = self._index(bounds.lo, "the start of an array's range")
        hi = self._index(bounds.hi, "the end of an array's range")
        if not indices.at_least(hi, lo, self.indices.sizes):
            raise ModelError(f"the range {lo}..{hi} can be empty", bounds.span, hint="write it as 1..N, with N ≥ 1")
        return ((lo, hi),)

    def _index(self, node: ast.Expr, what: str) -> sympy.Expr:
        builder = expressions._Builder(self.scope, self.kind, what, self.indices)
        value = builder.index(node, what)
        for size in value.free_symbols:
            number = self.param_values.get(size)
            if number is None or number != int(number) or number < 1:
                raise ModelError(
                    f"'{size}' is used as a size, so it must be a whole number ≥ 1, not {number:g}",
                    node.span,
                    hint=f"set it to a whole number, like 'param {size} = 32'",
                )
        return value

    def _declare_array(self, ident: ast.Ident, role: str, bounds) -> None:
        array = Array(sympy.IndexedBase(ident.name), role, bounds)
        self.arrays[ident.name] = array
        self.scope.declare(ident.name, role, ident.span, array.base, array=array)
        self.spans[f"{role} {ident.name}"] = ident.span
        if role == "coord" and self.kind is Kind.LAGRANGIAN:
            velocity = symbols.velocity_name(ident.name)
            self.arrays[velocity] = Array(sympy.IndexedBase(velocity), "velocity", bounds)

    def _indexed_let(self, statement: ast.LetStmt) -> None:
        """`let d[i in 0..N] = q[i+1] - q[i]`: an array of lets, each use
        d[e] put in place as the value at i = e (checked to lie in 0..N)."""
        name = statement.name.name
        builder = expressions._Builder(self.scope, self.kind, None, self.indices)
        bound, over = {}, []
        for binder in statement.binders:
            if binder.partner is not None:
                raise ModelError(
                    "an array of lets is indexed by ranges, not by pairs",
                    binder.partner.span,
                    hint=f"let {name}[{binder.index.name} in …, {binder.partner.name} in …] = …, "
                    f"then sum over {binder.index.name} < {binder.partner.name}",
                )
            builder.bind(binder.index)
            if binder.index.name in bound:
                raise ModelError(
                    f"the index '{binder.index.name}' is given twice", binder.index.span, hint="use i, j or k"
                )
            lo = self._index(binder.lo, "the start of a let's range")
            hi = self._index(binder.hi, "the end of a let's range")
            if not indices.at_least(hi, lo, self.indices.sizes):
                raise ModelError(f"the range {lo}..{hi} can be empty", binder.lo.span, hint="write it as 1..N, N ≥ 1")
            symbol = indices.index_symbol(binder.index.name)
            bound[binder.index.name] = (symbol, lo, hi)
            over.append((symbol, lo, hi))
        written, value = self._expr(statement.value, bound=dataclasses.replace(self.indices, bound=bound))
        array = Array(sympy.IndexedBase(name), "let", tuple((lo, hi) for _, lo, hi in over))
        self.c.lets.append(Let(array.base, written, value, tuple(over)))
        self.inlined[array.base] = sympy.Lambda(tuple(s for s, _, _ in over), value)
        self.scope.declare(name, "let", statement.name.span, array.base, value, array=array)
        self.spans[f"let {name}"] = statement.name.span

    def _sde_index(self, statement: ast.SdeStmt, entry):
        """The index of `dx[i] = … dW[i]` (every element of the array x), and
        the indices bound for its terms; (None, None) for a scalar's."""
        name, array = statement.target.name[1:], entry.array
        if (statement.index is None) != (array is None):
            raise ModelError(
                f"'{name}' is " + ("an array: write the equation of its elements" if array else "not an array"),
                statement.target.span,
                hint=f"d{name}[i] = … dt + … dW[i]" if array else f"d{name} = … dt + … dW",
            )
        for term in statement.terms:
            noise = term.differential.name != "dt"
            if array is not None and noise and (term.index is None or term.index.name != statement.index.name):
                raise ModelError(
                    f"the noise of element {statement.index.name} of '{name}' is its own, "
                    f"{term.differential.name}[{statement.index.name}]",
                    term.differential.span,
                    hint="every element has an independent noise; one noise shared by all elements is not "
                    "supported yet",
                )
            if array is None and term.index is not None:
                raise ModelError(
                    f"'{name}' is not an array; its noise is {term.differential.name}",
                    term.index.span,
                    hint="an indexed noise dW[i] belongs to the equation of an array, dx[i] = …",
                )
            if not noise and term.index is not None:
                raise ModelError("dt has no index", term.index.span, hint="write dt")
        if array is None:
            return None, None
        index = statement.index.name
        if self.scope.get(index) is not None or index in ("t", "pi"):
            raise ModelError(f"the index '{index}' is taken", statement.index.span, hint="use i, j or k")
        ((lo, hi),) = array.bounds
        symbol = indices.index_symbol(index)
        return symbol, dataclasses.replace(self.indices, bound={index: (symbol, lo, hi)})

    def _check_array_noises(self, states) -> None:
        """The noise of an array's elements belongs to that array alone."""
        users: dict[str, list[str]] = {}
        for ident in states:
            statement = self.c.sde[ident.name][0]
            for term in statement.terms:
                if term.differential.name != "dt":
                    users.setdefault(term.differential.name, []).append(ident.name)
        for ident in states:
            statement, _, index = self.c.sde[ident.name]
            for term in statement.terms:
                shared = users.get(term.differential.name, [])
                if index is not None and len(set(shared)) > 1:
                    raise ModelError(
                        f"{term.differential.name} is the noise of '{ident.name}' and of "
                        + ", ".join(f"'{n}'" for n in sorted(set(shared) - {ident.name})),
                        term.differential.span,
                        hint=f"give each array its own noise, like {term.differential.name}{ident.name}[i]",
                    )

    def _boundary(self, statement: ast.BoundaryStmt) -> None:
        for item in statement.items:
            name = item.name.name
            entry = self.scope.get(name)
            if entry is None or entry.array is None or entry.array.role == "input":
                raise ModelError(
                    f"'{name}' is not an array of the state, so it has no boundary",
                    item.name.span,
                    hint="boundaries belong to arrays declared with 'coord' or 'state', like q[1..N]",
                )
            array = self.arrays[name]
            ((lo, hi),) = array.bounds
            if item.rule is not None:
                if item.rule.name != "periodic":
                    raise ModelError(
                        f"unknown boundary '{item.rule.name}'",
                        item.rule.span,
                        hint=f"write 'boundary {name} periodic', or fixed values like 'boundary {name}[{lo - 1}] = 0'",
                    )
                if array.fixed:
                    raise ModelError(
                        f"'{name}' has fixed boundary values; it cannot also be periodic",
                        item.rule.span,
                        hint="keep one kind of boundary",
                    )
                array = dataclasses.replace(array, periodic=True)
            else:
                at = self._index(item.index, "a boundary's index")
                if array.periodic:
                    raise ModelError(
                        f"'{name}' is periodic; it has no fixed boundary values",
                        item.index.span,
                        hint="keep one kind of boundary",
                    )
                inside = indices.at_least(at, lo, self.indices.sizes) and indices.at_least(hi, at, self.indices.sizes)
                if inside or sympy.expand(at) in [sympy.expand(a) for a, _ in array.fixed]:
                    raise ModelError(
                        f"{name}[{at}] is " + ("inside the array's range" if inside else "given twice"),
                        item.index.span,
                        hint=f"boundary values are given beyond the ends of {lo}..{hi}, "
                        f"like {name}[{lo - 1}] or {name}[{hi + 1}]",
                    )
                _, value = self._expr(item.value, constant=f"the boundary value of {name}[{at}]")
                array = dataclasses.replace(array, fixed=array.fixed + ((at, value),))
            self.arrays[name] = array
            self.scope.names[name].array = array
            for conjugate in (symbols.velocity_name(name), symbols.default_momentum_name(name)):
                if conjugate in self.arrays:  # the velocity beyond a fixed end is zero; a periodic one wraps
                    fixed = tuple((at, sympy.Integer(0)) for at, _ in array.fixed)
                    self.arrays[conjugate] = dataclasses.replace(
                        self.arrays[conjugate], periodic=array.periodic, fixed=fixed
                    )
            self._item(item.name.span.line, f"boundary {name}")

    def _input(self, statement: ast.InputStmt) -> None:
        for item in statement.items:
            sizes = []
            for ident in item.sizes:
                entry = self.scope.get(ident.name)
                if entry is None:  # a new size, set by the data
                    symbol = symbols.symbol(ident.name)
                    self.c.params.append(Param(symbol, sympy.Integer(1), 1.0))
                    self.param_values[symbol] = 1.0
                    self.scope.declare(ident.name, "param", ident.span, symbol, symbol)
                    self.indices.sizes.add(symbol)
                    self.data_sizes.add(symbol)
                elif entry.role != "param":
                    raise ModelError(
                        f"the size '{ident.name}' is a {ROLE_WORDS[entry.role]}",
                        ident.span,
                        hint="a size is a new name (set by the data) or a parameter with a whole value",
                    )
                else:
                    self._index(ast.Name(ident.name, ident.span), "a size")
                    symbol = entry.symbol
                sizes.append(symbol)
            bounds = tuple((sympy.Integer(1), size) for size in sizes)
            array = Array(sympy.IndexedBase(item.name.name), "input", bounds)
            self.arrays[item.name.name] = array
            self._declare(item.name.name, "input", item.name.span, array.base)
            self.scope.names[item.name.name].array = array
            self.inputs.append(Input(item.name.name, tuple(sizes), statement.path))
            self._item(item.name.span.line, f"input {item.name.name}")

    def _data_index(self, binder: ast.Binder):
        """(index, lo, hi) of `data k in lo..hi:` and the values k takes:
        whole numbers, from the parameters' values."""
        lo = self._index(binder.lo, "the start of the data's range")
        hi = self._index(binder.hi, "the end of the data's range")
        first, last = (whole(e, self.param_values) for e in (lo, hi))
        if not 1 <= last - first + 1 <= MAX_COMPONENTS:
            raise ModelError(
                f"{binder.index.name} in {lo}..{hi} gives {last - first + 1} components",
                binder.index.span,
                hint=f"a data distribution has 1 to {MAX_COMPONENTS} components",
            )
        if self.scope.get(binder.index.name) is not None or binder.index.name in ("t", "pi"):
            raise ModelError(
                f"the index '{binder.index.name}' is taken", binder.index.span, hint="an index needs a new name, like k"
            )
        return (indices.index_symbol(binder.index.name), lo, hi), range(first, last + 1)

    def _init_index(self, item: ast.InitItem):
        """`x[i] = …`: every element (i a new name, bound over the range),
        `x[3] = …`: one element; (the index, the indices bound for the value)."""
        entry = self.scope.get(item.name.name)
        array = entry.array
        if (item.index is None) != (array is None):
            raise ModelError(
                f"'{item.name.name}' is "
                + ("an array: give its elements, like " if array else "not an array: write ")
                + (f"'init {item.name.name}[i] = …'" if array else f"'init {item.name.name} = …'"),
                item.name.span,
                hint="'init x[i] = f(i)' sets every element, 'init x[1] = 0.5' one of them",
            )
        if array is None:
            return None, None
        ((lo, hi),) = array.bounds
        if isinstance(item.index, ast.Name) and self.scope.get(item.index.name) is None:
            name = item.index.name
            symbol = indices.index_symbol(name)
            if name in ("t", "pi"):
                raise ModelError(f"the index '{name}' is taken", item.index.span, hint="use i, j or k")
            return symbol, expressions.Indices({name: (symbol, lo, hi)}, self.indices.sizes)
        at = self._index(item.index, "the element's index")
        if not indices.within(at, at, lo, hi, self.indices):
            raise ModelError(
                f"{item.name.name}[{at}] is outside {lo}..{hi}", item.index.span, hint="set an element of the array"
            )
        return at, None


def replaced(value, at: dict):
    """A data value (an expression, or nested tuples of them) with the index put in."""
    if isinstance(value, tuple):
        return tuple(replaced(v, at) for v in value)
    return value.xreplace(at) if at else value
