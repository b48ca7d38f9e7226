"""The kernel printers write what SymPy means: printed code evaluates to the
expression's value (a power in a denominator once printed as x/y*y)."""

import math

import sympy
from hypothesis import given
from hypothesis import strategies as st

from actionc.codegen.c import _CPrinter
from actionc.codegen.printer import KernelPrinter

x, y, z = sympy.symbols("x y z", real=True)
NAMES = {x: "v[0]", y: "v[1]", z: "v[2]"}
POINT = {x: 0.7, y: -1.3, z: 2.1}


def evaluate(code: str) -> float:
    return eval(code, {"math": math, "v": [POINT[x], POINT[y], POINT[z]]})  # our printer's output, in a test


atoms = st.sampled_from([x, y, z, sympy.Integer(2), sympy.Rational(1, 3)])


def combine(children):
    return st.one_of(
        st.tuples(children, children).map(lambda ab: ab[0] + ab[1]),
        st.tuples(children, children).map(lambda ab: ab[0] * ab[1]),
        st.tuples(children, st.sampled_from([-4, -3, -2, -1, 2, 3, 4])).map(lambda ae: ae[0] ** ae[1]),
        children.map(sympy.sin),
    )


expressions = st.recursive(atoms, combine, max_leaves=8)


@given(expressions)
def test_printed_python_evaluates_to_the_expression(expr):
    expected = float(expr.subs(POINT))
    if not math.isfinite(expected) or abs(expected) > 1e12:
        return
    printed = evaluate(KernelPrinter(NAMES).doprint(expr))
    assert math.isclose(printed, expected, rel_tol=1e-12, abs_tol=1e-12)


def test_powers_in_denominators_keep_their_parentheses():
    assert evaluate(KernelPrinter(NAMES).doprint(x / y**2)) == POINT[x] / POINT[y] ** 2
    assert _CPrinter(NAMES).doprint(x / y**2) == "v[0]/(v[1]*v[1])"
    assert _CPrinter(NAMES).doprint(x * y**-3) == "v[0]/(v[1]*v[1]*v[1])"
