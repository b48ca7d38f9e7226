"""The one table of functions allowed in expressions, and of distributions
allowed in `init`.

Each entry says how the function is built in SymPy; the code generator will
use `math_name` to call the same function from Python's `math` module.
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
    math_name: str

    @property
    def signature(self) -> str:
        return f"{self.name}(y, x)" if self.name == "atan2" else f"{self.name}(x)"


FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in (
        Function("sin", 1, sympy.sin, "sin"),
        Function("cos", 1, sympy.cos, "cos"),
        Function("tan", 1, sympy.tan, "tan"),
        Function("asin", 1, sympy.asin, "asin"),
        Function("acos", 1, sympy.acos, "acos"),
        Function("atan", 1, sympy.atan, "atan"),
        Function("atan2", 2, sympy.atan2, "atan2"),
        Function("sinh", 1, sympy.sinh, "sinh"),
        Function("cosh", 1, sympy.cosh, "cosh"),
        Function("tanh", 1, sympy.tanh, "tanh"),
        Function("asinh", 1, sympy.asinh, "asinh"),
        Function("acosh", 1, sympy.acosh, "acosh"),
        Function("atanh", 1, sympy.atanh, "atanh"),
        Function("exp", 1, sympy.exp, "exp"),
        Function("log", 1, sympy.log, "log"),
        Function("sqrt", 1, sympy.sqrt, "sqrt"),
        Function("abs", 1, sympy.Abs, "fabs"),
    )
}

# Distributions of initial values, drawn once per particle: name -> parameter names.
DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "normal": ("mean", "std"),
    "uniform": ("low", "high"),
}
