"""SymPy → Python source over `math`, for Numba.

Deterministic: the same expressions always print to the same text. Common
subexpressions are named _c0, _c1, … in a fixed order; floats are printed
with repr (17 significant digits, the exact double), never SymPy's 15.
State variables are read from x[i], parameters from p[k], time is t.
"""

from __future__ import annotations

from typing import Sequence

import sympy
from sympy.printing.numpy import NumPyPrinter
from sympy.printing.pycode import PythonCodePrinter

from actionc.codegen.integrators.base import tuple_literal

LONG_SUM = 500  # terms; Python's compiler recurses once per "+" of a flat sum and fails near 3000


class LongSums:
    """A long sum as a sum of parenthesized partial sums, which Python can
    compile (a dense quadratic form in 100 variables has 5050 terms)."""

    def _print_Add(self, expr, order=None) -> str:
        terms = expr.args
        if len(terms) <= LONG_SUM:
            return super()._print_Add(expr, order=order)
        parts = [sympy.Add(*terms[k : k + LONG_SUM], evaluate=False) for k in range(0, len(terms), LONG_SUM)]
        return " + ".join(f"({super(LongSums, self)._print_Add(part, order=order)})" for part in parts)


class NumericLiterals:
    """What every kernel printer (Python or C) prints the same way: names for
    symbols, doubles with 17 digits, numeric subexpressions folded into one
    double, and small integer powers as products (exact, and what a person
    would write)."""

    names: dict[sympy.Symbol, str]

    def _print(self, expr, **kwargs) -> str:
        if isinstance(expr, sympy.Expr) and expr.is_number and not expr.is_Rational and expr.is_real:
            return repr(float(expr))  # sqrt(2), pi/3, exp(-1)
        return super()._print(expr, **kwargs)

    def _print_Symbol(self, expr) -> str:
        return self.names.get(expr, expr.name)

    def _print_Float(self, expr) -> str:
        return repr(float(expr))

    def _print_Rational(self, expr) -> str:
        return repr(float(expr))

    def _print_Integer(self, expr) -> str:
        return repr(float(expr))

    def _small_power(self, expr) -> str | None:
        base, exponent = expr.base, expr.exp
        if exponent.is_Integer and 2 <= abs(int(exponent)) <= 4:
            factor = self.parenthesize(base, 60)
            product = "*".join([factor] * abs(int(exponent)))
            # parenthesized: a Mul prints its denominator after "/", and x/y*y is not x/y²
            return f"({product})" if exponent > 0 else f"1.0/({product})"
        if exponent == -1:
            return f"1.0/{self.parenthesize(base, 60)}"
        return None


class KernelPrinter(LongSums, NumericLiterals, PythonCodePrinter):
    def __init__(self, names: dict[sympy.Symbol, str]) -> None:
        super().__init__({"fully_qualified_modules": True, "standard": "python3"})
        self.names = names

    def _print_Pow(self, expr, rational=False) -> str:
        small = self._small_power(expr)
        if small is not None:
            return small
        if expr.exp == sympy.Rational(1, 2):
            return f"math.sqrt({self._print(expr.base)})"
        if expr.exp == -sympy.Rational(1, 2):
            return f"1.0/math.sqrt({self._print(expr.base)})"
        return f"{self.parenthesize(expr.base, 60)}**{self.parenthesize(expr.exp, 60)}"

    def _print_Abs(self, expr) -> str:
        return f"abs({self._print(expr.args[0])})"

    def _print_Largest(self, expr) -> str:
        return "max(" + ", ".join(self._print(a) for a in expr.args) + ")"


def _temporaries():
    index = 0
    while True:
        yield sympy.Symbol(f"_c{index}", real=True)
        index += 1


def printed(printer_type, expressions, names: dict[sympy.Symbol, str]) -> tuple[list[tuple[str, str]], list[str]]:
    """The one CSE of every printer (Python, NumPy, C): common subexpressions
    named _c0, _c1, … in a fixed order, then (name, text) of each temporary
    and the text of each expression."""
    expressions = [sympy.Integer(e) if isinstance(e, int) else e for e in expressions]
    replacements, reduced = sympy.cse(expressions, symbols=_temporaries(), order="canonical")
    printer = printer_type({**names, **{s: s.name for s, _ in replacements}})
    return [(s.name, printer.doprint(v)) for s, v in replacements], [printer.doprint(v) for v in reduced]


def assignments(
    targets: Sequence[str],
    expressions: Sequence[sympy.Expr],
    names: dict[sympy.Symbol, str],
    indent: str = "    ",
) -> list[str]:
    """Lines `target = expression` for every pair, sharing common
    subexpressions through named temporaries."""
    temporaries, values = printed(KernelPrinter, expressions, names)
    return [f"{indent}{name} = {text}" for name, text in temporaries] + [
        f"{indent}{target} = {text}" for target, text in zip(targets, values)
    ]


def body(expressions: Sequence[sympy.Expr], names: dict[sympy.Symbol, str], scalar: bool = False) -> list[str]:
    """The lines that compute the expressions and return them as a tuple (or
    one number if scalar): values, not arrays, so that the compiler can keep
    them in registers."""
    temporaries, values = printed(KernelPrinter, expressions, names)
    lines = [f"    {name} = {text}" for name, text in temporaries]
    lines.append(f"    return {values[0]}" if scalar else f"    return {tuple_literal(values)}")
    return lines


def function(
    name: str,
    arguments: str,
    expressions: Sequence[sympy.Expr],
    names: dict[sympy.Symbol, str],
    doc: str,
    decorator: str = "jit",
    scalar: bool = False,
    prelude: Sequence[str] = (),
) -> str:
    """The source of one jitted model function: the prelude's lines (what
    the expressions' names need first), then body()."""
    head = [f"@{decorator}", f"def {name}({arguments}):", f'    """{doc}"""']
    return "\n".join([*head, *(f"    {line}" for line in prelude), *body(expressions, names, scalar)]) + "\n"


class ArrayPrinter(LongSums, NumPyPrinter):
    """The same expressions over NumPy arrays (x[..., i], p[..., k]), for the
    vectorized Python callables of a compiled model."""

    def __init__(self, names: dict[sympy.Symbol, str]) -> None:
        super().__init__({"fully_qualified_modules": True})
        self.names = names

    def _print_Symbol(self, expr) -> str:
        return self.names.get(expr, expr.name)

    def _print_Float(self, expr) -> str:
        return repr(float(expr))

    def _print_Largest(self, expr) -> str:
        return "numpy.maximum.reduce([" + ", ".join(self._print(a) for a in expr.args) + "])"


def array_function(
    name: str, expressions, names: dict[sympy.Symbol, str], doc: str, shape: str, arguments: str = "x, t, p"
) -> str:
    """A NumPy function of (x, t, p, …) returning the expressions stacked on
    the last axes (shape "vector" or "matrix:ROWSxCOLS" or "scalar")."""
    temporaries, printed_values = printed(ArrayPrinter, expressions, names)
    lines = [
        "    x = numpy.asarray(x, dtype=float)",
        "    p = numpy.asarray(p, dtype=float)",
        "    t = numpy.asarray(t, dtype=float)",
        "    zero = numpy.zeros(numpy.broadcast_shapes(x.shape[:-1], p.shape[:-1], t.shape))",
    ]
    lines += [f"    {temporary} = {text}" for temporary, text in temporaries]
    values = [f"zero + ({text})" for text in printed_values]
    if shape == "scalar":
        lines.append(f"    return {values[0]}")
    elif shape == "vector":
        lines.append(f"    return numpy.stack([{', '.join(values)}], axis=-1)")
    else:
        rows, cols = (int(k) for k in shape.split(":")[1].split("x"))
        lines.append(f"    flat = numpy.stack([{', '.join(values)}], axis=-1)")
        lines.append(f"    return flat.reshape(flat.shape[:-1] + ({rows}, {cols}))")
    return "\n".join([f"def {name}({arguments}):", f'    """{doc}"""', *lines]) + "\n"
