"""AST expressions → SymPy, node by node with SymPy's constructors: nothing
the person wrote is ever evaluated as Python. Each name is looked up in the
scope; `constant` (what must not depend on the state or time) is checked
as the expression is built."""

from __future__ import annotations

import math

import sympy

from actionc import symbols
from actionc.errors import ModelError, Span, did_you_mean
from actionc.functions import DISTRIBUTIONS, FUNCTIONS
from actionc.lang import syntax as ast
from actionc.lang.placement import a_model
from actionc.lang.scope import ROLE_WORDS, Scope
from actionc.model import Kind

MAX_DEPTH = 200  # nesting of powers, signs and calls; sums and products are flat
_NON_FINITE = (sympy.zoo, sympy.oo, -sympy.oo, sympy.nan)


def expression(
    scope: Scope, kind: Kind, inlined: dict, node: ast.Expr, constant: str | None = None
) -> tuple[sympy.Expr, sympy.Expr]:
    """The SymPy expression of `node` as written (lets as symbols) and with
    the lets inlined (`inlined`: let symbols → their values). `constant`
    names what must not depend on the state or time."""
    written = _Builder(scope, kind, constant).build(node)
    value = written.xreplace(inlined)
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


def number(expr: sympy.Expr) -> float | None:
    """The finite real value of a constant expression, or None."""
    try:
        value = complex(expr.evalf())
    except (TypeError, ValueError):
        return None
    if value.imag != 0 or not math.isfinite(value.real):
        return None
    return value.real


class _Builder:
    """Builds one expression, node by node."""

    def __init__(self, scope: Scope, kind: Kind, constant: str | None) -> None:
        self.scope = scope
        self.kind = kind
        self.constant = constant
        self.depth = 0

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
            return sympy.Add(*self.chain(node, "+-"))
        if node.op in "*/":
            return sympy.Mul(*self.chain(node, "*/"))
        return self.power(node)

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
        if base.is_Rational and exponent.is_Rational and abs(base) > 1:
            # exact powers of numbers are computed by SymPy; 9^9^9 would not end
            bits = float(abs(exponent)) * math.log2(float(abs(base)))
            if bits > 4096:
                raise ModelError(
                    "this power is too large to compute exactly",
                    node.span,
                    hint="write a decimal number (like 1e300) if you mean a floating-point value",
                )
        if base == 0 and exponent.is_negative:
            raise ModelError("division by zero", node.span, hint="a negative power of zero")
        return base**exponent

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
                hint=did_you_mean(name, FUNCTIONS) or "the functions are: " + ", ".join(FUNCTIONS),
            )
        if len(node.args) != function.arity:
            plural = "argument" if function.arity == 1 else "arguments"
            raise ModelError(
                f"{name}() takes {function.arity} {plural}, got {len(node.args)}",
                node.name_span,
                hint=f"write {function.signature}",
            )
        args = [self.build(a) for a in node.args]
        return function.build(*args)


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
