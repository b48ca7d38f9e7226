"""Arithmetic on the numbers of a model, bounded by the size of its result.

SymPy computes (2/3)^99999999 exactly, digit by digit, and evaluates
exp(exp(exp(100))) to as many digits as it takes: neither ends. The
expression builder asks here before it lets SymPy combine numbers, so that
every model is answered in time linear in its text:

- every constant lies in the range of a double: a value beyond about
  1.8e308 (or a power below about 2.2e-308) is an error at its token;
- an exact rational stays exact while its numerator and denominator have at
  most MAX_EXACT_BITS bits (about 308 digits); beyond that it becomes the
  nearest double, which is what the kernel would compute anyway;
- a floating-point number is always a double, as the kernel sees it.

Values are estimated with Python floats (and logarithms for powers), node by
node, never with SymPy's arbitrary-precision evalf.
"""

from __future__ import annotations

import math
import operator
from typing import Mapping

import mpmath
import sympy

MAX_EXACT_BITS = 1024
LARGEST = 308.25  # log10 of the largest double, about 1.8e308
SMALLEST = -307.65  # log10 of the smallest normal double, about 2.2e-308

_FUNCTIONS = {
    sympy.sin: math.sin,
    sympy.cos: math.cos,
    sympy.tan: math.tan,
    sympy.asin: math.asin,
    sympy.acos: math.acos,
    sympy.atan: math.atan,
    sympy.atan2: math.atan2,
    sympy.sinh: math.sinh,
    sympy.cosh: math.cosh,
    sympy.tanh: math.tanh,
    sympy.asinh: math.asinh,
    sympy.acosh: math.acosh,
    sympy.atanh: math.atanh,
    sympy.exp: math.exp,
    sympy.log: math.log,
    sympy.Abs: abs,
}


class OutOfRange(Exception):
    """A number no double can hold; the builder adds where it was written."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


def value(expr: sympy.Expr, env: Mapping[sympy.Symbol, float] | None = None, memo: dict | None = None) -> float | None:
    """The double value of a constant expression (symbols from `env`),
    computed node by node in floating point; ±inf beyond the range of
    doubles; None if it depends on another symbol or has no real value."""
    memo = {} if memo is None else memo
    try:
        return _value(expr, env or {}, memo)
    except RecursionError:
        return None


def _value(expr, env, memo) -> float | None:
    if expr in memo:
        return memo[expr]
    result = _evaluate(expr, env, memo)
    if result is not None and math.isnan(result):
        result = None
    memo[expr] = result
    return result


def _evaluate(expr, env, memo) -> float | None:
    if expr.is_Rational:
        try:
            return expr.p / expr.q
        except OverflowError:
            return math.inf if expr.p > 0 else -math.inf
    if expr.is_Float:
        return float(expr)
    if expr is sympy.pi:
        return math.pi
    if expr is sympy.E:
        return math.e
    if expr.is_Symbol:
        return env.get(expr)
    args = []
    for arg in expr.args:
        argument = _value(arg, env, memo)
        if argument is None:
            return None
        args.append(argument)
    try:
        if expr.is_Add:
            return math.fsum(args) if all(map(math.isfinite, args)) else sum(args)
        if expr.is_Mul:
            return math.prod(args)
        if expr.is_Pow:
            return _float_power(*args)
        function = _FUNCTIONS.get(expr.func)
        return function(*args) if function is not None else None
    except OverflowError:
        return math.inf
    except (ValueError, ZeroDivisionError):
        return None


def _float_power(base: float, exponent: float) -> float | None:
    if base == 0 and exponent < 0:
        return None
    if base < 0 and exponent != int(exponent):
        return None
    return math.pow(base, exponent)


def _log10(x: float | None) -> float | None:
    return None if x is None or x == 0 or not math.isfinite(x) else math.log10(abs(x))


def power(base: sympy.Expr, exponent: sympy.Expr, memo: dict) -> sympy.Expr:
    """base^exponent, exactly when that is small, as a double when the exact
    result would be huge; OutOfRange when no double holds it."""
    b, e = value(base, memo=memo), value(exponent, memo=memo)
    exact = base.is_Rational and exponent.is_Rational
    if b is None or e is None or b == 0 or abs(b) == 1 or not (exact or base.is_number and exponent.is_number):
        return base**exponent
    magnitude = e * math.log10(abs(b)) if math.isfinite(b) else math.copysign(math.inf, e)
    if magnitude > LARGEST:
        if exact:
            raise OutOfRange(
                "this power is too large to compute exactly",
                "write a decimal number (like 1e300) if you mean a floating-point value",
            )
        raise _too_large(magnitude)
    if magnitude < SMALLEST:
        raise OutOfRange(
            f"this power is too small for a double (about {_about(magnitude)})",
            "doubles reach down to about 2.2e-308; write 0 if you mean zero",
        )
    if exact and abs(e) * math.log2(max(abs(base.p), base.q)) > MAX_EXACT_BITS:
        with mpmath.workprec(80):
            return sympy.Float(float(mpmath.power(mpmath.mpf(base.p) / base.q, mpmath.mpf(exponent.p) / exponent.q)))
    if not exact and abs(e) > MAX_EXACT_BITS and (double := _float_power(b, e)) is not None:
        # SymPy would multiply out (√a)^n as a^(n/2) exactly: keep its double
        return sympy.Float(double)
    return within_range(base**exponent, memo)


def within_range(expr: sympy.Expr, memo: dict) -> sympy.Expr:
    """`expr`, checked: a constant must fit in a double; a Float becomes the
    double it stands for; an exact rational too large for exact arithmetic
    becomes its nearest double."""
    _finite(expr, memo)
    if expr.is_Mul:
        for factor in expr.args:  # exp(709)*exp(709)*x is x*exp(1418)
            _finite(factor, memo)
    if expr.is_Add:
        return _terms_within_range(expr, memo)
    too_long = expr.is_Rational and max(expr.p.bit_length(), expr.q.bit_length()) > MAX_EXACT_BITS
    if expr.is_Float or too_long:
        v = value(expr, memo=memo)
        double = sympy.Float(v) if v is not None else expr
        return expr if expr.is_Float and double._mpf_ == expr._mpf_ else double
    return expr


def _finite(expr: sympy.Expr, memo: dict) -> None:
    if expr.is_number:
        v = value(expr, memo=memo)
        if v is not None and math.isinf(v):
            raise _too_large(_log10_estimate(expr))


def _terms_within_range(expr: sympy.Add, memo: dict) -> sympy.Expr:
    """A sum whose coefficients are checked: SymPy distributes a number over
    a sum (2*(x + 1) is 2*x + 2), so coefficients grow with nesting."""
    for term in expr.args:
        _finite(term, memo)
    split = [term.as_coeff_Mul() for term in expr.args]
    checked = [within_range(coefficient, memo) for coefficient, _ in split]
    if all(new is old for new, (old, _) in zip(checked, split)):
        return expr
    return sympy.Add(*(new * rest for new, (_, rest) in zip(checked, split)))


def fold(numbers: list[sympy.Expr], combine, memo: dict) -> sympy.Expr:
    """The sum or product (`combine`) of numbers, one at a time, each
    partial result checked (so that a long chain of exact fractions never
    grows a huge common denominator)."""
    total = numbers[0]
    for number in numbers[1:]:
        total = within_range(combine(total, number), memo)
    return total


def _too_large(magnitude: float | None) -> OutOfRange:
    about = f" (about {_about(magnitude)})" if magnitude is not None and math.isfinite(magnitude) else ""
    return OutOfRange(f"this value is too large for a double{about}", "doubles reach about 1.8e308")


def _log10_estimate(expr: sympy.Expr) -> float | None:
    if expr.is_Rational:
        return (expr.p.bit_length() - expr.q.bit_length()) * math.log10(2)
    if expr.is_Float:
        mantissa, exponent = expr._mpf_[1], expr._mpf_[2]
        return (math.log2(mantissa) + exponent) * math.log10(2) if mantissa else None
    return None


def _about(magnitude: float) -> str:
    return f"1e{round(magnitude)}" if abs(magnitude) < 1e9 else f"10^({magnitude:.3g})"


def element(let: sympy.Lambda, at) -> sympy.Expr:
    """The value of an array of lets at the indices `at`, its own sums'
    indices renamed where `at` uses the same names (d[j] inside a sum over j
    of a let summing over j)."""
    value, taken = let.expr, set().union(*(i.free_symbols for i in at))  # indices of an Indexed: SymPy already
    for inner in value.atoms(sympy.Sum):
        for index in {limit[0] for limit in inner.limits} & taken:
            fresh = sympy.Symbol(index.name + "_", integer=True)
            while fresh in taken or value.has(fresh):
                fresh = sympy.Symbol(fresh.name + "_", integer=True)
            value = value.xreplace({index: fresh})
    return value.xreplace(dict(zip(let.variables, at)))


def substitute(expr: sympy.Expr, mapping: Mapping[sympy.Symbol, sympy.Expr], memo: dict) -> sympy.Expr:
    """expr.xreplace(mapping), rebuilt through power() and within_range(): a
    let's value put in place cannot make a number that the builder refused."""
    rebuilt: dict = {}

    def rebuild(e: sympy.Expr) -> sympy.Expr:
        if e in mapping:
            return mapping[e]
        if isinstance(e, sympy.Indexed) and e.base in mapping:  # an element of an array of lets
            return element(mapping[e.base], e.indices)
        if not e.args:
            return e
        if e not in rebuilt:
            args = [rebuild(a) for a in e.args]
            if all(new is old for new, old in zip(args, e.args)):
                rebuilt[e] = e
            elif e.is_Pow:
                rebuilt[e] = power(*args, memo)
            elif e.is_Add or e.is_Mul:
                numbers = [a for a in args if a.is_Number]
                others = [a for a in args if not a.is_Number]
                combine = operator.add if e.is_Add else operator.mul
                folded = [fold(numbers, combine, memo)] if numbers else []
                rebuilt[e] = within_range(e.func(*folded, *others), memo)
            else:
                rebuilt[e] = within_range(e.func(*args), memo)
        return rebuilt[e]

    if not mapping:
        return expr
    try:
        return rebuild(expr)
    except RecursionError:
        raise OutOfRange(
            "this expression is nested too deeply once its lets are put in place", "use fewer levels of lets"
        ) from None


def size(expr: sympy.Expr, limit: int) -> int:
    """The number of distinct subexpressions of `expr`, counted up to `limit`."""
    seen: set = set()
    stack = [expr]
    while stack and len(seen) <= limit:
        e = stack.pop()
        if e not in seen:
            seen.add(e)
            stack.extend(e.args)
    return len(seen)
