"""AST expressions → SymPy, node by node with SymPy's constructors: nothing
the person wrote is ever evaluated as Python. Each name is looked up in the
scope; `constant` (what must not depend on the state or time) is checked
as the expression is built."""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass

import sympy

from actionc import symbols
from actionc.errors import ModelError, Span, did_you_mean
from actionc.functions import DISTRIBUTIONS, FUNCTIONS
from actionc.lang import constants
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


def expression(
    scope: Scope, kind: Kind, inlined: dict, node: ast.Expr, constant: str | None = None, budget: Budget | None = None
) -> tuple[sympy.Expr, sympy.Expr]:
    """The SymPy expression of `node` as written (lets as symbols) and with
    the lets inlined (`inlined`: let symbols → their values). `constant`
    names what must not depend on the state or time; `budget` bounds the
    size of a whole model's inlined expressions."""
    builder = _Builder(scope, kind, constant)
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

    def __init__(self, scope: Scope, kind: Kind, constant: str | None) -> None:
        self.scope = scope
        self.kind = kind
        self.constant = constant
        self.depth = 0
        self.memo: dict = {}  # constant subexpressions -> their double values

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
        if isinstance(node, ast.Unary):
            operand = self.build(node.operand)
            return -operand if node.op == "-" else operand
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
        return constants.within_range(operation(number, *(rest for _, rest in split)), self.memo)

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
                value = -value
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
            raise self.scope.unknown(name, node.span, [*self.scope.names, "t", "pi"])
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
