"""Derivations as text (for people), LaTeX (for papers) and JSON (for
programs): what `actionc derive` prints."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Callable

import sympy
from sympy.printing.latex import LatexPrinter

from actionc import symbols
from actionc.derive import diffusion, elements, mechanics, paths, reverse, stochastic, thermo
from actionc.lang.fmt import ActPrinter
from actionc.model import Calculus, Kind, Model


class NotApplicable(ValueError):
    """A derivation asked for by name does not apply to this model."""


class _Derivation:
    """One model's derivations, sharing the work several of them need (the
    model's SDE, its mass-matrix form) instead of redoing it for each."""

    def __init__(self, model: Model) -> None:
        self.model = model

    @functools.cached_property
    def sde(self) -> thermo.Sde:
        return stochastic.sde_of(self.model)

    @functools.cached_property
    def log_density(self) -> sympy.Expr:
        if self.model.kind is Kind.ENERGY:
            return thermo.log_density(self.model)
        return diffusion.log_density(self.model)

    @functools.cached_property
    def elements(self) -> elements.Elements:
        return elements.element_equations(self.model)

    @functools.cached_property
    def form(self) -> mechanics.MassMatrixForm:
        return mechanics.mass_matrix_form(self.model)

    @functools.cached_property
    def noisy(self) -> bool:
        """The model's dynamics has noise: a diffusion, a Fokker–Planck operator."""
        model = self.model
        return model.kind is Kind.SDE or model.temperature is not None

    @functools.cached_property
    def invertible_noise(self) -> bool:
        try:
            paths.inverse_diffusion_tensor(self.sde)
        except ValueError:
            return False
        return True


@dataclass(frozen=True)
class Row:
    """One derivation of `actionc derive`: its key, title, the kinds of model
    it applies to (and a further condition), how it is computed, and how its
    values are labelled — by the model's variables (`rows`) or by one symbol
    (`symbol`: text and LaTeX)."""

    key: str
    title: str
    kinds: tuple[Kind, ...]
    compute: Callable[[_Derivation], object]
    when: Callable[[_Derivation], bool] = lambda d: True
    rows: Callable[[Model], tuple] | None = None
    symbol: tuple[str, str] | None = None
    inverting: bool = False  # inverts the mass matrix: computed for large systems only when asked for


def _named(symbols_, values) -> dict[str, sympy.Expr]:
    return {s.name: v for s, v in zip(symbols_, values)}


def _rows(matrix: sympy.Matrix):
    return [list(matrix.row(i)) for i in range(matrix.shape[0])]


def _fokker_planck(d: _Derivation):
    sde = d.sde
    return stochastic.fokker_planck(sde.drift, sde.diffusion, sde.state, stochastic.density_function(sde.state))


def _generator(d: _Derivation):
    sde = d.sde
    return stochastic.generator(sde.drift, sde.diffusion, sde.state, stochastic.test_function(sde.state))


def _score(d: _Derivation):
    if d.model.kind is Kind.ENERGY:
        return thermo.score(d.model)
    return list(reverse.score(d.log_density, d.model.state))


ALL, MECHANICS, NOISY = tuple(Kind), (Kind.LAGRANGIAN, Kind.HAMILTONIAN), (Kind.LAGRANGIAN, Kind.ENERGY, Kind.SDE)
FIRST_ORDER = (Kind.ENERGY, Kind.SDE)


def _coordinates(model: Model) -> tuple:
    return model.coordinates


def _variables(model: Model) -> tuple:
    return model.variables


def _has_hamiltonian(d: _Derivation) -> bool:
    # underdamped Langevin has no Hamiltonian flow to show
    return d.model.kind is not Kind.LAGRANGIAN or d.model.temperature is None


def _has_density(d: _Derivation) -> bool:
    return (d.model.kind is not Kind.SDE or d.model.runs_backwards) and not _zero_temperature(d)


def _zero_temperature(d: _Derivation) -> bool:
    """An energy model at T = 0: the noise-free gradient flow, no Gibbs density."""
    return d.model.kind is Kind.ENERGY and thermo.temperature(d.model).is_zero is True


ROWS: tuple[Row, ...] = (
    Row("state", "State", ALL, lambda d: [x.name for x in d.model.variables]),
    Row(
        "euler_lagrange",
        "Euler–Lagrange equations (each = 0)",
        (Kind.LAGRANGIAN,),
        lambda d: mechanics.euler_lagrange(d.model),
        rows=_coordinates,
    ),
    Row(
        "accelerations",
        "Accelerations",
        (Kind.LAGRANGIAN,),
        lambda d: _named(d.model.coordinates, mechanics.accelerations(d.model, d.form)),
        inverting=True,
    ),
    Row(
        "mass_matrix",
        "Mass matrix M in M q'' = F",
        (Kind.LAGRANGIAN,),
        lambda d: _rows(d.form.matrix),
        rows=_coordinates,
    ),
    Row("forcing", "Forcing F in M q'' = F", (Kind.LAGRANGIAN,), lambda d: list(d.form.forcing), rows=_coordinates),
    Row(
        "momenta",
        "Conjugate momenta",
        (Kind.LAGRANGIAN,),
        lambda d: _named(d.model.coordinates, mechanics.momenta(d.model)),
    ),
    Row(
        "hamiltonian",
        "Hamiltonian",
        MECHANICS,
        lambda d: mechanics.hamiltonian_of(d.model),
        when=_has_hamiltonian,
        symbol=("H", "H"),
        inverting=True,
    ),
    Row(
        "hamilton_equations",
        "Hamilton's equations",
        MECHANICS,
        lambda d: {x.name: e for x, e in mechanics.hamilton_equations(d.model).items()},
        when=_has_hamiltonian,
        inverting=True,
    ),
    Row(
        "invariants",
        "Invariants",
        MECHANICS,
        lambda d: mechanics.invariants(d.model, d.form if d.model.kind is Kind.LAGRANGIAN else None),
    ),
    Row(
        "log_density",
        "Log density log p (energy models: −E/T, unnormalized)",
        FIRST_ORDER,
        lambda d: d.log_density,
        when=_has_density,
        symbol=("log p", r"\log p"),
    ),
    Row("score", "Score ∇ log p", FIRST_ORDER, _score, when=_has_density, rows=_variables),
    Row(
        "gradient_flow",
        "Temperature 0: the noise-free gradient flow dx/dt = −∇E/γ (no Gibbs density exp(−E/T))",
        (Kind.ENERGY,),
        lambda d: thermo.gradient_flow(d.model),
        when=_zero_temperature,
        rows=_variables,
    ),
    Row(
        "reverse_sde",
        "Reverse-time SDE drift f − ∇·D − D ∇log p_t (same g, t from T down to 0)",
        (Kind.SDE,),
        lambda d: list(reverse.reverse_sde(d.sde, d.log_density).drift),
        when=_has_density,
        rows=_variables,
    ),
    Row(
        "probability_flow",
        "Probability-flow ODE dx/dt = f − ½∇·D − ½ D ∇log p_t",
        (Kind.SDE,),
        lambda d: list(reverse.probability_flow(d.sde, d.log_density)),
        when=_has_density,
        rows=_variables,
    ),
    # SDE models show their drift as written (in their calculus); others the derived one
    Row(
        "drift",
        "Drift f in dx = f dt + g dW",
        ALL,
        lambda d: list(d.model.drift) if d.model.kind is Kind.SDE else list(d.sde.drift),
        rows=_variables,
        inverting=True,
    ),
    Row(
        "ito_drift",
        "Itô drift",
        (Kind.SDE,),
        lambda d: list(d.sde.drift),
        when=lambda d: d.model.calculus is Calculus.STRATONOVICH,
        rows=_variables,
    ),
    Row(
        "diffusion",
        "Diffusion g (rows: state, columns: noises)",
        NOISY,
        lambda d: _rows(d.sde.diffusion),
        when=lambda d: d.noisy,
        rows=_variables,
        inverting=True,
    ),
    Row(
        "fokker_planck",
        "Fokker–Planck operator ∂p/∂t = L*p",
        NOISY,
        _fokker_planck,
        when=lambda d: d.noisy,
        symbol=("∂p/∂t", r"\partial_t p"),
        inverting=True,
    ),
    Row(
        "generator",
        "Backward generator L f",
        NOISY,
        _generator,
        when=lambda d: d.noisy,
        symbol=("L f", r"\mathcal{L} f"),
        inverting=True,
    ),
    Row(
        "freidlin_wentzell",
        "Freidlin–Wentzell action density ½(x'−f)ᵀD⁻¹(x'−f)",
        FIRST_ORDER,
        lambda d: paths.freidlin_wentzell(d.sde),
        when=lambda d: d.invertible_noise,
        symbol=("L_FW", r"L_{\mathrm{FW}}"),
    ),
    Row(
        "onsager_machlup",
        "Onsager–Machlup action density, L_FW + ½∇·f",
        FIRST_ORDER,
        lambda d: paths.onsager_machlup(d.sde),
        when=lambda d: d.invertible_noise,
        symbol=("L_OM", r"L_{\mathrm{OM}}"),
    ),
)
DERIVATIONS: dict[str, Row] = {row.key: row for row in ROWS}


# ---- indexed models: the equations of element i, for every size -----------


def _element_label(equation, index, kind: Kind | None, template: str = "{}'") -> str:
    """q''[i] for a lagrangian's velocities, x'[i] for the others (the rate); `template` names other things."""
    name = equation.variable.name
    if kind is Kind.LAGRANGIAN and equation.role == "conjugate":
        name, template = name.removesuffix("_dot"), "{}''"
    label = template.format(name)
    return f"{label}[{index}]" if equation.array is not None else label


def _element_rates(d: _Derivation) -> dict:
    found = d.elements
    shown = [e for e in found.equations if not (d.model.kind is Kind.LAGRANGIAN and e.role == "position")]
    return {_element_label(e, found.index, d.model.kind): e.rate for e in shown}


def _element_operator(d: _Derivation, which: str) -> str:
    """The Fokker–Planck operator or the generator of overdamped Langevin
    dynamics, dx[i] = f[i] dt + g dW_i, as a sum of element terms:
    ∂p/∂t = Σ_i ∂/∂x[i] (−f[i] p + ½g² ∂p/∂x[i]), L f = Σ_i f[i] ∂f/∂x[i] + ½g² ∂²f/∂x[i]²
    (a scalar state variable contributes its one term)."""
    printer = ActPrinter({})
    half_g2 = sympy.simplify(d.elements.noise**2 / 2)
    diffusion = "" if half_g2 == 1 else f"{printer.doprint(half_g2)}*"
    terms = []
    for e in d.elements.equations:
        x = f"{e.variable.name}[{d.elements.index}]" if e.array is not None else e.variable.name
        if which == "fokker_planck":
            term = f"∂/∂{x} (({printer.doprint(-e.rate)})*p + {diffusion}∂p/∂{x})"
        else:
            term = f"({printer.doprint(e.rate)})*∂f/∂{x} + {diffusion}∂²f/∂{x}²"
        if e.array is not None:
            ((lo, hi),) = e.array.bounds
            term = f"sum({d.elements.index} in {printer.doprint(lo)}..{printer.doprint(hi)}: {term})"
        terms.append(term)
    return " + ".join(terms)


def _element_ranges(d: _Derivation) -> list[str]:
    index, lines = d.elements.index, []
    printer = ActPrinter({})
    for e in d.elements.equations:
        array = e.array
        if array is None or e.role == "conjugate":
            continue
        ((lo, hi),) = array.bounds
        line = f"{printer.doprint(lo)} ≤ {index} ≤ {printer.doprint(hi)} for {array.name}"
        if array.periodic:
            line += f"; periodic: {array.name}[{printer.doprint(lo - 1)}] = {array.name}[{printer.doprint(hi)}], …"
        elif array.fixed:
            line += "; beyond the ends " + ", ".join(
                f"{array.name}[{printer.doprint(at)}] = {printer.doprint(value)}" for at, value in array.fixed
            )
        lines.append(line)
    for item in d.model.inputs:
        sizes = ", ".join(s.name for s in item.sizes)
        lines.append(f"input {item.name}[{sizes}]" + (f' from "{item.path}"' if item.path else ""))
    return lines


INDEXED_ROWS: tuple[Row, ...] = (
    Row("state", "State", ALL, lambda d: [_declared(x, d.model) for x in d.model.variables]),
    Row("ranges", "Ranges and boundaries", ALL, _element_ranges),
    Row(
        "element_equations",
        "Equations of each element (derived once, for every size)",
        ALL,
        _element_rates,
    ),
    Row(
        "momenta",
        "Conjugate momenta ∂L/∂q'[i]",
        (Kind.LAGRANGIAN,),
        lambda d: {
            _element_label(e, d.elements.index, None, "p_{}").replace("_dot", ""): e.momentum
            for e in d.elements.equations
            if e.momentum is not None
        },
    ),
    Row(
        "gradient",
        "Gradient ∂E/∂x[i]",
        (Kind.ENERGY,),
        lambda d: {_element_label(e, d.elements.index, None, "∂E/∂{}"): e.gradient for e in d.elements.equations},
    ),
    Row(
        "log_density",
        "Log density log p = −E/T (unnormalized)",
        (Kind.ENERGY,),
        lambda d: thermo.log_density(d.model),
        symbol=("log p", r"\log p"),
    ),
    Row(
        "diffusion",
        "Noise g in dx[i] = f dt + g dW_i (every element)",
        (Kind.ENERGY,),
        lambda d: d.elements.noise,
        symbol=("g", "g"),
    ),
    Row(
        "fokker_planck",
        "Fokker–Planck operator ∂p/∂t, a sum over the elements",
        (Kind.ENERGY,),
        lambda d: _element_operator(d, "fokker_planck"),
        symbol=("∂p/∂t", r"\partial_t p"),
    ),
    Row(
        "generator",
        "Backward generator L f, a sum over the elements",
        (Kind.ENERGY,),
        lambda d: _element_operator(d, "generator"),
        symbol=("L f", r"\mathcal{L} f"),
    ),
    Row("invariants", "Invariants", MECHANICS, lambda d: dict(d.elements.invariants)),
)
INDEXED: dict[str, Row] = {row.key: row for row in INDEXED_ROWS}


def _declared(x, model: Model) -> str:
    array = model.arrays.get(x.name)
    if array is None:
        return x.name
    ((lo, hi),) = array.bounds
    return f"{x.name}[{lo}..{hi}]"


def _rows_of(model: Model) -> dict[str, Row]:
    return INDEXED if model.is_indexed else DERIVATIONS


def available(model: Model, derivation: _Derivation | None = None) -> list[str]:
    """The derivations that apply to `model`, in report order."""
    derivation = derivation or _Derivation(model)
    rows = _rows_of(model).values()
    return [row.key for row in rows if model.kind in row.kinds and row.when(derivation)]


def derive(model: Model, what: list[str] | None = None) -> dict[str, object]:
    """The requested derivations (default: all that apply) as SymPy objects."""
    derivation = _Derivation(model)
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
