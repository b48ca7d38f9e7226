"""The one table of functions allowed in expressions, and of distributions
allowed in `init`.

Each entry says how the function is built in SymPy; the code generators
print SymPy's functions with their own printers (math.* in Python, libm in C).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import sympy


@dataclass(frozen=True)
class Function:
    name: str
    arity: int
    build: Callable[..., sympy.Expr]

    @property
    def signature(self) -> str:
        return f"{self.name}(y, x)" if self.name == "atan2" else f"{self.name}(x)"


FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in (
        Function("sin", 1, sympy.sin),
        Function("cos", 1, sympy.cos),
        Function("tan", 1, sympy.tan),
        Function("asin", 1, sympy.asin),
        Function("acos", 1, sympy.acos),
        Function("atan", 1, sympy.atan),
        Function("atan2", 2, sympy.atan2),
        Function("sinh", 1, sympy.sinh),
        Function("cosh", 1, sympy.cosh),
        Function("tanh", 1, sympy.tanh),
        Function("asinh", 1, sympy.asinh),
        Function("acosh", 1, sympy.acosh),
        Function("atanh", 1, sympy.atanh),
        Function("exp", 1, sympy.exp),
        Function("log", 1, sympy.log),
        Function("sqrt", 1, sympy.sqrt),
        Function("abs", 1, sympy.Abs),
    )
}

# Distributions of initial values, drawn once per particle: name -> parameter names.
DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "normal": ("mean", "std"),
    "uniform": ("low", "high"),
}


class Largest(sympy.Function):
    """max(a, b, …), never evaluated: sympy.Max compares its arguments
    symbolically on every rebuild (xreplace, CSE), which costs seconds for
    the log-sum-exp of a mixture. Printed as max() by the code generators;
    used only as the shift of a log-sum-exp, where the result does not
    depend on its value: so its derivative is taken as zero, which makes
    derivatives of the whole expression exact."""

    nargs = None

    def fdiff(self, argindex=1):
        return sympy.Integer(0)
