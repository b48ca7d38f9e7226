"""AST expressions → SymPy, node by node with SymPy's constructors: nothing
the person wrote is ever evaluated as Python. Each name is looked up in the
scope; `constant` (what must not depend on the state or time) is checked
as the expression is built."""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass, field

import sympy

from actionc import symbols
from actionc.errors import ModelError, Span, did_you_mean
from actionc.functions import DISTRIBUTIONS, FUNCTIONS
from actionc.lang import constants, indices
from actionc.lang import syntax as ast
from actionc.lang.placement import a_model
from actionc.lang.scope import ROLE_WORDS, Scope
from actionc.model import Kind

MAX_DEPTH = 200  # nesting of powers, signs and calls; sums and products are flat
MAX_INLINED_SIZE = 300_000  # terms of all expressions with lets put in place: about 3 s of SymPy
_NON_FINITE = (sympy.zoo, sympy.oo, -sympy.oo, sympy.nan)


@dataclass
class Budget:
    """The terms a model's expressions have used, with their lets put in place."""

    spent: int = 0


@dataclass
class Indices:
    """The indices bound where an expression is built (name → (symbol, lo,
    hi)), and the parameters used as sizes so far (the resolver's, shared)."""

    bound: dict = field(default_factory=dict)
    sizes: set = field(default_factory=set)
    values: dict = field(default_factory=dict)  # the sizes' default values
    # what must hold of the sizes for every element read to exist (each ≥ 0),
    # checked when a run sets them: x[7] needs N - 7 ≥ 0
    requirements: list = field(default_factory=list)

    @property
    def ranges(self) -> dict:
        return {symbol: (lo, hi) for symbol, lo, hi in self.bound.values()}


def expression(
    scope: Scope,
    kind: Kind,
    inlined: dict,
    node: ast.Expr,
    constant: str | None = None,
    budget: Budget | None = None,
    bound: Indices | None = None,
    order: dict | None = None,
) -> tuple[sympy.Expr, sympy.Expr]:
    """The SymPy expression of `node` as written (lets as symbols) and with
    the lets inlined (`inlined`: let symbols → their values). `constant`
    names what must not depend on the state or time; `budget` bounds the
    size of a whole model's inlined expressions; `bound`: the indices bound
    around it (an indexed init) and the model's sizes; `order` gets the
    terms of each sum built, in the order written (for the printer)."""
    builder = _Builder(scope, kind, constant, bound if bound is not None else Indices(), order)
    written = builder.build(node)
    try:
        value = constants.substitute(written, inlined, builder.memo)
    except constants.OutOfRange as error:
        raise ModelError(error.message, node.span, hint=error.hint) from None
    budget = budget if budget is not None else Budget()
    if value is not written:  # lets put in place: their size adds up, and so does the time
        budget.spent += constants.size(value, MAX_INLINED_SIZE - budget.spent)
        if budget.spent > MAX_INLINED_SIZE:
            raise ModelError(
                f"with their lets put in place, the expressions of this model have more than "
                f"{MAX_INLINED_SIZE:,} terms",
                node.span,
                hint="each let is put in place where it is used, so a long chain of lets that each use "
                "the one before grows quadratically; use fewer levels of lets",
            )
    if value.has(*_NON_FINITE):
        raise ModelError(
            "this expression is not finite",
            node.span,
            hint="check for a division by zero or log(0)",
        )
    if value.has(sympy.I):
        raise ModelError(
            "this expression is not real",
            node.span,
            hint="check for the square root or log of a negative number",
        )
    return written, value


def number(expr: sympy.Expr, params: dict[sympy.Symbol, float]) -> float | None:
    """The finite real value of a constant expression, parameters at their values, or None."""
    value = constants.value(expr, params)
    return value if value is not None and math.isfinite(value) else None


class _Builder:
    """Builds one expression, node by node."""

    def __init__(
        self, scope: Scope, kind: Kind, constant: str | None, bound: Indices, order: dict | None = None
    ) -> None:
        self.indices = Indices(dict(bound.bound), bound.sizes, bound.values, bound.requirements)
        self.in_index = False  # building an index or a sum's bound (for the hint of an unknown name)
        self.scope = scope
        self.kind = kind
        self.constant = constant
        self.depth = 0
        self.memo: dict = {}  # constant subexpressions -> their double values
        # SymPy orders the terms of a sum its own way: what was written is kept
        # beside, sum -> its terms as written, so that `fmt` prints them so
        self.order: dict = order if order is not None else {}

    def build(self, node: ast.Expr) -> sympy.Expr:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ModelError(
                f"this expression is nested more than {MAX_DEPTH} deep",
                node.span,
                hint="split it with 'let'",
            )
        try:
            return self._build(node)
        except constants.OutOfRange as error:
            raise ModelError(error.message, node.span, hint=error.hint) from None
        finally:
            self.depth -= 1

    def _build(self, node: ast.Expr) -> sympy.Expr:
        if isinstance(node, ast.Number):
            return _number_literal(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.Velocity):
            return self.velocity(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Element):
            return self.element(node)
        if isinstance(node, ast.Sum):
            return self.sum(node)
        if isinstance(node, ast.Unary):
            operand = self.build(node.operand)
            return self.negated(operand) if node.op == "-" else operand
        if node.op in "+-":
            return self.combined(sympy.Add, self.chain(node, "+-"))
        if node.op in "*/":
            return self.combined(sympy.Mul, self.chain(node, "*/"))
        return self.power(node)

    def combined(self, operation, operands: list[sympy.Expr]) -> sympy.Expr:
        """The sum or product of a chain, its numbers folded first one at a
        time within bounds (see constants)."""
        split = [o.as_coeff_Add() if operation is sympy.Add else o.as_coeff_Mul() for o in operands]
        combine = operator.add if operation is sympy.Add else operator.mul
        number = constants.fold([number for number, _ in split], combine, self.memo)
        result = constants.within_range(operation(number, *(rest for _, rest in split)), self.memo)
        if operation is sympy.Add:
            return self.ordered(result, operands)
        sums = [o for o in operands if o.is_Add]
        if result.is_Add and len(sums) == 1:  # a number times a sum: SymPy multiplied it out
            factor = sympy.Mul(*(o for o in operands if o is not sums[0]))
            return self.ordered(result, [factor * term for term in self.terms(sums[0])])
        return result

    def negated(self, value: sympy.Expr) -> sympy.Expr:
        """−value, where SymPy multiplies a sum out: −(a + b) is −a − b, in that order."""
        if not value.is_Add:
            return -value
        return self.ordered(-value, [-term for term in self.terms(value)])

    def terms(self, value: sympy.Expr) -> tuple:
        """The terms of a sum in the order written (SymPy's where not known)."""
        return self.order.get(value, value.args) if value.is_Add else (value,)

    def ordered(self, result: sympy.Expr, written: list) -> sympy.Expr:
        """Record the terms of `result`, if a sum, in the order of `written`
        (its operands, each maybe a sum itself); its number goes where the
        first number was written, and terms SymPy combined (a + a) last."""
        if not result.is_Add:
            return result
        args, sequence = set(result.args), []
        number = next((a for a in result.args if a.is_Number), None)
        for term in (t for operand in written for t in self.terms(operand)):
            term = number if term.is_Number else term
            if term in args and term not in sequence:
                sequence.append(term)
        self.order[result] = (*sequence, *(a for a in result.args if a not in sequence))
        return result

    def chain(self, node: ast.Binary, ops: str) -> list[sympy.Expr]:
        """The operands of a left-associated chain like a - b + c, built in
        one pass (no recursion down the chain, and one Add instead of many)."""
        rights = []
        while isinstance(node, ast.Binary) and node.op in ops:
            rights.append((node.op, node.right))
            node = node.left
        operands = [self.build(node)]
        for op, right in reversed(rights):
            value = self.build(right)
            if op == "-":
                value = self.negated(value)
            elif op == "/":
                if value == 0:
                    raise ModelError("division by zero", right.span, hint="this denominator is zero")
                value = 1 / value
            operands.append(value)
        return operands

    def power(self, node: ast.Binary) -> sympy.Expr:
        base, exponent = self.build(node.left), self.build(node.right)
        if base == 0 and exponent.is_negative:
            raise ModelError("division by zero", node.span, hint="a negative power of zero")
        return constants.power(base, exponent, self.memo)

    def _not_constant(self, what: str, span: Span) -> ModelError:
        return ModelError(
            f"{self.constant} must be constant, but it uses {what}",
            span,
            hint="constant expressions may use numbers, parameters and pi",
        )

    def name(self, node: ast.Name) -> sympy.Expr:
        name = node.name
        if name in self.indices.bound:
            return self.indices.bound[name][0]
        if name == "pi":
            return sympy.pi
        if name == "t":
            if self.constant:
                raise self._not_constant("the time 't'", node.span)
            return symbols.time
        if name in FUNCTIONS or name in DISTRIBUTIONS:
            raise ModelError(
                f"'{name}' is a function; call it with its argument in parentheses",
                node.span,
                hint=f"write {name}(…)",
            )
        entry = self.scope.get(name)
        if entry is None:
            error = self.scope.unknown(name, node.span, [*self.scope.names, *self.indices.bound, "t", "pi"])
            if self.in_index and name not in self.scope.later and not (error.hint or "").startswith("did you"):
                error.hint = "an index is bound by 'sum(i in 1..N: …)' or by 'init x[i] = …'"
            raise error
        if entry.array is not None:
            raise ModelError(
                f"'{name}' is an array; name one element, like {name}[i]",
                node.span,
                hint=f"to add up its elements write sum(i in {_bounds_words(entry.array)}: {name}[i])",
            )
        if entry.role == "param":
            return entry.symbol
        if self.constant:
            if entry.role == "let" and not (entry.value.free_symbols - set(self.scope.symbols("param"))):
                return entry.symbol
            raise self._not_constant(f"the {ROLE_WORDS[entry.role]} '{name}'", node.span)
        if entry.role == "momentum" and self.kind is Kind.LAGRANGIAN:
            raise ModelError(
                f"momentum '{name}' cannot be used in a lagrangian model",
                node.span,
                hint="a lagrangian model is written in coordinates and velocities (q')",
            )
        return entry.symbol

    def velocity(self, node: ast.Velocity) -> sympy.Expr:
        name = node.name
        kind = self.kind
        entry = self.scope.get(name)
        if kind in (Kind.ENERGY, Kind.SDE) and entry is not None and entry.role in ("state", "let"):
            raise ModelError(
                f"velocities have no meaning in {a_model(kind)}",
                node.span,
                hint="energy and SDE models are first order in their state; "
                "a velocity needs a mechanical model (lagrangian with 'coord')",
            )
        if entry is None and name not in self.scope.later:
            raise self.scope.bad_velocity(name, None, node.span)
        if entry is None:
            raise self.scope.unknown(name, node.span, [])
        if entry.role not in ("coord", "let"):
            raise self.scope.bad_velocity(name, entry, node.span)
        if kind is Kind.HAMILTONIAN:
            raise ModelError(
                "velocities cannot be used in a hamiltonian model",
                node.span,
                hint="a hamiltonian model is written in coordinates and momenta",
            )
        if self.constant:
            raise self._not_constant(f"the velocity {name}'", node.span)
        if entry.role == "coord":
            return symbols.velocity(entry.symbol)
        velocities = {symbols.velocity(q) for q in self.scope.symbols("coord")}
        if entry.value.free_symbols & velocities:
            raise ModelError(
                f"{name}' would need accelerations: let '{name}' depends on velocities",
                node.span,
                hint="take primes only of lets that depend on coordinates and time",
            )
        return symbols.symbol(symbols.velocity_name(name))

    def call(self, node: ast.Call) -> sympy.Expr:
        name = node.function
        if name in DISTRIBUTIONS:
            raise ModelError(
                f"{name}() draws a random initial value and can only be the whole value in 'init'",
                node.name_span,
                hint=f"write e.g. 'init x = {name}(0, 1)'",
            )
        function = FUNCTIONS.get(name)
        if function is None:
            entry = self.scope.get(name)
            if entry is not None:
                raise ModelError(
                    f"'{name}' is a {ROLE_WORDS[entry.role]}, not a function",
                    node.name_span,
                    hint=f"to multiply, write {name}*(…)",
                )
            raise ModelError(
                f"unknown function '{name}'",
                node.name_span,
                hint=did_you_mean(name, [*FUNCTIONS, *DISTRIBUTIONS]) or "the functions are: " + ", ".join(FUNCTIONS),
            )
        if len(node.args) != function.arity:
            plural = "argument" if function.arity == 1 else "arguments"
            raise ModelError(
                f"{name}() takes {function.arity} {plural}, got {len(node.args)}",
                node.name_span,
                hint=f"write {function.signature}",
            )
        args = [self.build(a) for a in node.args]
        return constants.within_range(function.build(*args), self.memo)

    # ---- indexed models ----

    def index(self, node: ast.Expr, what: str) -> sympy.Expr:
        """An index or a sum's bound: whole numbers, sizes and indices (a
        parameter used here becomes a size, and must be a whole number ≥ 1)."""
        saved, self.in_index = self.in_index, True
        try:
            value = self.build(node)
        finally:
            self.in_index = saved
        for symbol in value.free_symbols:
            entry = self.scope.get(symbol.name)
            if entry is not None and entry.role == "param" and entry.symbol == symbol:
                self.indices.sizes.add(symbol)
        allowed = self.indices.sizes | {s for s, _, _ in self.indices.bound.values()}
        return indices.integer_expression(value, allowed, node.span, what)

    def element(self, node: ast.Element) -> sympy.Expr:
        entry = self.scope.get(node.name)
        if entry is None:
            raise self.scope.unknown(node.name, node.name_span, [*self.scope.names])
        array = entry.array
        if array is None:
            raise ModelError(
                f"'{node.name}' is a {ROLE_WORDS[entry.role]}, not an array",
                node.name_span,
                hint=f"arrays are declared with a range, like 'state {node.name}[1..N]'",
            )
        if len(node.indices) != len(array.bounds):
            raise ModelError(
                f"'{node.name}' has {len(array.bounds)} index(es), not {len(node.indices)}",
                node.span,
                hint=f"it is declared as {node.name}[{_bounds_words(array)}]",
            )
        if node.prime:
            if array.role == "let":
                raise ModelError(
                    f"the velocity of '{node.name}', an array of lets, is not supported yet",
                    node.span,
                    hint="write it out with the velocities of the coordinates it is made of, like q'[i]",
                )
            if array.role != "coord":
                raise self.scope.bad_velocity(node.name, entry, node.name_span)
            if self.kind is Kind.HAMILTONIAN:
                raise ModelError(
                    "velocities cannot be used in a hamiltonian model",
                    node.span,
                    hint="a hamiltonian model is written in coordinates and momenta",
                )
        if self.constant and array.role != "input":
            raise self._not_constant(f"the {ROLE_WORDS[entry.role]} '{node.name}'", node.span)
        at = tuple(self.index(i, f"the index of '{node.name}'") for i in node.indices)
        indices.check_element(array, at, self.indices, node.span)
        base = entry.symbol if not node.prime else sympy.IndexedBase(symbols.velocity_name(node.name))
        return base[at]

    def sum(self, node: ast.Sum) -> sympy.Expr:
        saved = dict(self.indices.bound)
        limits = []
        try:
            for binder in node.binders:
                lo = self.index(binder.lo, "the lower end of a sum's range")
                hi = self.index(binder.hi, "the upper end of a sum's range")
                pairs = [(binder.index, lo, hi)]
                if binder.partner is not None:  # i < j in lo..hi: j runs from i+1
                    pairs.append((binder.partner, None, hi))
                for ident, low, high in pairs:
                    self.bind(ident)
                    if low is None:
                        low = limits[-1][0] + 1
                    symbol = indices.index_symbol(ident.name)
                    self.indices.bound[ident.name] = (symbol, low, high)
                    limits.append((symbol, low, high))
            body = self.build(node.body)
        finally:
            self.indices.bound = saved
        return sympy.Sum(body, *reversed(limits))

    def bind(self, ident) -> None:
        name = ident.name
        entry = self.scope.get(name)
        if name in self.indices.bound or entry is not None or name in ("t", "pi") or name in FUNCTIONS:
            what = (
                "an index already"
                if name in self.indices.bound
                else (f"a {ROLE_WORDS[entry.role]}" if entry else "taken")
            )
            raise ModelError(
                f"the index '{name}' is {what}",
                ident.span,
                hint="an index needs a new name, like i, j or k",
            )


def _bounds_words(array) -> str:
    return ", ".join(f"{lo}..{hi}" for lo, hi in array.bounds)


def _number_literal(node: ast.Number) -> sympy.Expr:
    text = node.text
    if len(text) > 100:
        raise ModelError(
            "this number has too many digits", node.span, hint="write it in scientific notation, like 1e120"
        )
    if all(c.isdigit() for c in text):
        return sympy.Integer(text)
    value = float(text)
    if not math.isfinite(value):
        raise ModelError(f"the number {text} is too large", node.span, hint="doubles reach about 1.8e308")
    return sympy.Float(value)
