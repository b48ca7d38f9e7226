"""Derivations as text (for people), LaTeX (for papers) and JSON (for
programs): what `actionc derive` prints. The rows are in report/rows.py
(scalar models) and report/indexed.py (indexed models)."""

from __future__ import annotations

import json

import sympy
from sympy.printing.latex import LatexPrinter

from actionc import symbols
from actionc.derive import mechanics
from actionc.lang.fmt import ActPrinter
from actionc.model import Kind, Model
from actionc.report.indexed import INDEXED
from actionc.report.rows import DERIVATIONS, ROWS, Derivation, NotApplicable, Row

__all__ = ["FORMATS", "NotApplicable", "Row", "available", "derive", "to_json", "to_latex", "to_text"]


def _rows_of(model: Model) -> dict[str, Row]:
    return INDEXED if model.is_indexed else DERIVATIONS


def available(model: Model, derivation: Derivation | None = None) -> list[str]:
    """The derivations that apply to `model`, in report order."""
    derivation = derivation or Derivation(model)
    rows = _rows_of(model).values()
    return [row.key for row in rows if model.kind in row.kinds and row.when(derivation)]


def derive(model: Model, what: list[str] | None = None) -> dict[str, object]:
    """The requested derivations (default: all that apply) as SymPy objects."""
    derivation = Derivation(model)
    keys = available(model, derivation)
    if what is None:
        large = model.kind is Kind.LAGRANGIAN and len(model.coordinates) > mechanics.SYMBOLIC_SOLVE_MAX
        what = [k for k in keys if not (large and _rows_of(model)[k].inverting)]
    else:
        for key in what:
            if key not in _rows_of(model):
                raise NotApplicable(f"unknown derivation '{key}'; known: {', '.join(_rows_of(model))}")
            if key not in keys:
                raise NotApplicable(
                    f"'{key}' does not apply to the {model.kind.value} model '{model.name}'; it has: {', '.join(keys)}"
                )
    return {key: _rows_of(model)[key].compute(derivation) for key in what}


# ---- formats ---------------------------------------------------------------


def to_json(model: Model, results: dict[str, object]) -> str:
    def convert(value):
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [convert(v) for v in value]
        if isinstance(value, str):
            return value
        return sympy.sstr(value)

    document = {"model": model.name, "kind": model.kind.value}
    document.update({key: convert(value) for key, value in results.items()})
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _primes(model: Model) -> dict[str, str]:
    primes = {}
    if model.kind is not Kind.LAGRANGIAN:
        return primes
    for q in model.coordinates:
        primes[symbols.velocity_name(q.name)] = f"{q.name}'"
        primes[symbols.acceleration_name(q.name)] = f"{q.name}''"
    return primes


def _labels(model: Model, key: str, value) -> list[tuple[str, object]]:
    """(label, expression) pairs of one derivation, for text and LaTeX."""
    if isinstance(value, dict) and model.is_indexed:
        return list(value.items())
    if isinstance(value, dict):
        if key == "accelerations":
            return [(f"{name}''", v) for name, v in value.items()]
        if key == "momenta":
            return [(model.momenta[i].name, v) for i, v in enumerate(value.values())]
        if key == "hamilton_equations":
            return [(f"{name}'", v) for name, v in value.items()]
        return list(value.items())
    row = _rows_of(model)[key]
    if key == "ranges":
        return [("", line) for line in value]
    if row.rows is not None:
        return [(x.name, v) for x, v in zip(row.rows(model), value)]
    if key == "state":
        return [("", ", ".join(value))]
    return [(row.symbol[0], value)]


_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


class _TextPrinter(ActPrinter):
    """The .act printer for reading derivations: ∂²p/∂x² for derivatives
    of the density p(x, t) and test function f(x, t), and floats to 15
    significant digits (0.1*0.2 shows as 0.02, not 0.020000000000000004)."""

    def _print_Float(self, expr) -> str:
        text = f"{float(expr):.15g}"
        return text if any(c in text for c in ".ein") else text + ".0"

    def _print_Derivative(self, expr) -> str:
        name = expr.expr.func.__name__ if expr.expr.is_Function else self._print(expr.expr)
        order = sum(count for _, count in expr.variable_count)
        below = "".join(
            f"∂{self._print(v)}" + (str(n).translate(_SUPERSCRIPTS) if n > 1 else "") for v, n in expr.variable_count
        )
        above = "∂" + (str(order).translate(_SUPERSCRIPTS) if order > 1 else "") + name
        return f"{above}/{below}"

    def _print_Function(self, expr) -> str:
        if type(expr.func).__name__ == "UndefinedFunction":  # p(x, t), f(x, t): the unknown, by name
            return expr.func.__name__
        return super()._print_Function(expr)


class _LatexPrinter(LatexPrinter):
    r"""LaTeX with ∂ fractions of the density and test function, written
    \frac{\partial^{2} p}{\partial x^{2}}, without their arguments."""

    def _print_Derivative(self, expr) -> str:
        if not expr.expr.is_Function:
            return super()._print_Derivative(expr)
        name = expr.expr.func.__name__
        order = sum(count for _, count in expr.variable_count)
        power = f"^{{{order}}}" if order > 1 else ""
        below = " ".join(rf"\partial {self._print(v)}" + (f"^{{{n}}}" if n > 1 else "") for v, n in expr.variable_count)
        return rf"\frac{{\partial{power} {name}}}{{{below}}}"

    def _print_Function(self, expr, exp=None) -> str:
        if type(expr.func).__name__ == "UndefinedFunction":  # p(x, t), f(x, t): the unknown, by name
            return expr.func.__name__ if exp is None else f"{expr.func.__name__}^{{{exp}}}"
        return super()._print_Function(expr, exp)


def to_text(model: Model, results: dict[str, object]) -> str:
    printer = _TextPrinter(_primes(model))

    def show(value) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, list):
            return "[" + ", ".join(show(v) for v in value) + "]"
        return printer.doprint(value)

    prime = _primes(model)
    blocks = [f"{model.name} ({model.kind.value})" + (f' — "{model.doc}"' if model.doc else "")]
    for key, value in results.items():
        title = _rows_of(model)[key].title
        lines = [title]
        pairs = _labels(model, key, value)
        width = max((len(prime.get(label, label)) for label, _ in pairs), default=0)
        separator = ": " if key == "euler_lagrange" else " = "
        for label, expr in pairs:
            label = prime.get(label, label)
            lines.append(f"  {label.ljust(width)}{separator}{show(expr)}" if label else f"  {show(expr)}")
        if not pairs:
            lines.append("  (none)")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def _latex_names(model: Model) -> dict[sympy.Symbol, str]:
    names = {}
    for q in model.coordinates:
        base = sympy.latex(q)
        names[symbols.velocity(q)] = rf"\dot{{{base}}}"
        names[symbols.acceleration(q)] = rf"\ddot{{{base}}}"
    return names


def to_latex(model: Model, results: dict[str, object]) -> str:
    names = _latex_names(model)

    def show(value) -> str:
        if isinstance(value, str):
            escaped = value.replace("_", r"\_")  # an underscore in \text is an error in LaTeX
            return rf"\text{{{escaped}}}"
        if isinstance(value, list):
            return r"\left(" + ", ".join(show(v) for v in value) + r"\right)"
        return latex.doprint(value)

    latex = _LatexPrinter({"symbol_names": names})

    def label_tex(label: str) -> str:
        for row in ROWS:
            if row.symbol is not None and label == row.symbol[0]:
                return row.symbol[1]
        if label.endswith("''"):
            return rf"\ddot{{{sympy.latex(symbols.symbol(label[:-2]))}}}"
        if label.endswith("'"):
            return rf"\dot{{{sympy.latex(symbols.symbol(label[:-1]))}}}"
        return sympy.latex(symbols.symbol(label), symbol_names=names)

    out = [f"% {model.name} ({model.kind.value}), derived by actionc"]
    for key, value in results.items():
        out.append(f"% {_rows_of(model)[key].title}")
        out.append(r"\begin{align*}")
        rows = []
        for label, expr in _labels(model, key, value):
            if key == "euler_lagrange":
                rows.append(f"  {show(expr)} &= 0")
            elif label:
                rows.append(f"  {label_tex(label)} &= {show(expr)}")
            else:
                rows.append(f"  & {show(expr)}")
        out.append(" \\\\\n".join(rows))
        out.append(r"\end{align*}")
    return "\n".join(out) + "\n"


FORMATS = {"text": to_text, "latex": to_latex, "json": to_json}
