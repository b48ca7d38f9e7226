"""Derivations as text (for people), LaTeX (for papers) and JSON (for
programs): what `actionc derive` prints."""

from __future__ import annotations

import functools
import json
from typing import Callable

import sympy

from actionc import symbols
from actionc.derive import diffusion, mechanics, paths, reverse, stochastic, thermo
from actionc.lang.fmt import ActPrinter
from actionc.model import Calculus, Kind, Model

# key -> (title, the kinds it applies to)
DERIVATIONS: dict[str, tuple[str, tuple[Kind, ...]]] = {
    "state": ("State", tuple(Kind)),
    "euler_lagrange": ("Euler–Lagrange equations (each = 0)", (Kind.LAGRANGIAN,)),
    "accelerations": ("Accelerations", (Kind.LAGRANGIAN,)),
    "mass_matrix": ("Mass matrix M in M q'' = F", (Kind.LAGRANGIAN,)),
    "forcing": ("Forcing F in M q'' = F", (Kind.LAGRANGIAN,)),
    "momenta": ("Conjugate momenta", (Kind.LAGRANGIAN,)),
    "hamiltonian": ("Hamiltonian", (Kind.LAGRANGIAN, Kind.HAMILTONIAN)),
    "hamilton_equations": ("Hamilton's equations", (Kind.LAGRANGIAN, Kind.HAMILTONIAN)),
    "invariants": ("Invariants", (Kind.LAGRANGIAN, Kind.HAMILTONIAN)),
    "log_density": ("Log density log p (energy models: −E/T, unnormalized)", (Kind.ENERGY, Kind.SDE)),
    "score": ("Score ∇ log p", (Kind.ENERGY, Kind.SDE)),
    "reverse_sde": ("Reverse-time SDE drift f − ∇·D − D ∇log p_t (same g, t from T down to 0)", (Kind.SDE,)),
    "probability_flow": ("Probability-flow ODE dx/dt = f − ½∇·D − ½ D ∇log p_t", (Kind.SDE,)),
    "drift": ("Drift f in dx = f dt + g dW", tuple(Kind)),
    "ito_drift": ("Itô drift", (Kind.SDE,)),
    "diffusion": ("Diffusion g (rows: state, columns: noises)", (Kind.LAGRANGIAN, Kind.ENERGY, Kind.SDE)),
    "fokker_planck": ("Fokker–Planck operator ∂p/∂t = L*p", (Kind.LAGRANGIAN, Kind.ENERGY, Kind.SDE)),
    "generator": ("Backward generator L f", (Kind.LAGRANGIAN, Kind.ENERGY, Kind.SDE)),
    "freidlin_wentzell": ("Freidlin–Wentzell action density ½(x'−f)ᵀD⁻¹(x'−f)", (Kind.ENERGY, Kind.SDE)),
    "onsager_machlup": ("Onsager–Machlup action density, L_FW + ½∇·f", (Kind.ENERGY, Kind.SDE)),
}

# Large lagrangian systems: derivations that invert the mass matrix
# symbolically are only computed when asked for by name.
_INVERTING = {"accelerations", "hamiltonian", "hamilton_equations", "drift", "diffusion", "fokker_planck", "generator"}


class NotApplicable(ValueError):
    """A derivation asked for by name does not apply to this model."""


def available(model: Model, derivation: _Derivation | None = None) -> list[str]:
    """The derivations that apply to `model`, in report order."""
    derivation = derivation or _Derivation(model)
    keys = [key for key, (_, kinds) in DERIVATIONS.items() if model.kind in kinds]
    stochastic_model = model.kind in (Kind.ENERGY, Kind.SDE) or model.temperature is not None
    if not stochastic_model:
        keys = [k for k in keys if k not in ("diffusion", "fokker_planck", "generator")]
    if model.kind is Kind.ENERGY and model.temperature is None:
        keys = [k for k in keys if k not in ("diffusion", "fokker_planck", "generator")]
    if model.kind in (Kind.ENERGY, Kind.SDE) and not _invertible_noise(derivation):
        keys = [k for k in keys if k not in ("freidlin_wentzell", "onsager_machlup")]
    if model.kind is Kind.SDE and model.calculus is not Calculus.STRATONOVICH:
        keys.remove("ito_drift")
    if model.kind is Kind.SDE and (not (model.data or model.density is not None) or not model.noises):
        keys = [k for k in keys if k not in ("log_density", "score", "reverse_sde", "probability_flow")]
    if model.kind is Kind.LAGRANGIAN and model.temperature is not None:
        keys = [k for k in keys if k not in ("hamiltonian", "hamilton_equations")]
    return keys


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
    def form(self) -> mechanics.MassMatrixForm:
        return mechanics.mass_matrix_form(self.model)


def derive(model: Model, what: list[str] | None = None) -> dict[str, object]:
    """The requested derivations (default: all that apply) as SymPy objects."""
    derivation = _Derivation(model)
    keys = available(model, derivation)
    if what is None:
        large = model.kind is Kind.LAGRANGIAN and len(model.coordinates) > mechanics.SYMBOLIC_SOLVE_MAX
        what = [k for k in keys if not (large and k in _INVERTING)]
    else:
        for key in what:
            if key not in DERIVATIONS:
                raise NotApplicable(f"unknown derivation '{key}'; known: {', '.join(DERIVATIONS)}")
            if key not in keys:
                raise NotApplicable(
                    f"'{key}' does not apply to the {model.kind.value} model '{model.name}'; it has: {', '.join(keys)}"
                )
    return {key: _COMPUTE[key](derivation) for key in what}


def _invertible_noise(derivation: _Derivation) -> bool:
    try:
        paths.inverse_diffusion_tensor(derivation.sde)
    except ValueError:
        return False
    return True


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


_COMPUTE: dict[str, Callable[[_Derivation], object]] = {
    "state": lambda d: [x.name for x in d.model.variables],
    "euler_lagrange": lambda d: mechanics.euler_lagrange(d.model),
    "accelerations": lambda d: _named(d.model.coordinates, mechanics.accelerations(d.model, d.form)),
    "mass_matrix": lambda d: _rows(d.form.matrix),
    "forcing": lambda d: list(d.form.forcing),
    "momenta": lambda d: _named(d.model.coordinates, mechanics.momenta(d.model)),
    "hamiltonian": lambda d: mechanics.hamiltonian_of(d.model),
    "hamilton_equations": lambda d: {x.name: e for x, e in mechanics.hamilton_equations(d.model).items()},
    "invariants": lambda d: mechanics.invariants(d.model, d.form if d.model.kind is Kind.LAGRANGIAN else None),
    "log_density": lambda d: d.log_density,
    "score": lambda d: (
        thermo.score(d.model) if d.model.kind is Kind.ENERGY else list(reverse.score(d.log_density, d.model.state))
    ),
    "reverse_sde": lambda d: list(reverse.reverse_sde(d.sde, d.log_density).drift),
    "probability_flow": lambda d: list(reverse.probability_flow(d.sde, d.log_density)),
    # SDE models show their drift as written (in their calculus); others the derived one
    "drift": lambda d: list(d.model.drift) if d.model.kind is Kind.SDE else list(d.sde.drift),
    "ito_drift": lambda d: list(d.sde.drift),
    "diffusion": lambda d: _rows(d.sde.diffusion),
    "fokker_planck": _fokker_planck,
    "generator": _generator,
    "freidlin_wentzell": lambda d: paths.freidlin_wentzell(d.sde),
    "onsager_machlup": lambda d: paths.onsager_machlup(d.sde),
}


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
    for q in model.coordinates:
        primes[symbols.velocity_name(q.name)] = f"{q.name}'"
        primes[symbols.acceleration_name(q.name)] = f"{q.name}''"
    return primes


def _labels(model: Model, key: str, value) -> list[tuple[str, object]]:
    """(label, expression) pairs of one derivation, for text and LaTeX."""
    if isinstance(value, dict):
        if key == "accelerations":
            return [(f"{name}''", v) for name, v in value.items()]
        if key == "momenta":
            return [(model.momenta[i].name, v) for i, v in enumerate(value.values())]
        if key == "hamilton_equations":
            return [(f"{name}'", v) for name, v in value.items()]
        return list(value.items())
    rows = {
        "euler_lagrange": model.coordinates,
        "forcing": model.coordinates,
        "mass_matrix": model.coordinates,
        "score": model.variables,
        "reverse_sde": model.variables,
        "probability_flow": model.variables,
        "drift": model.variables,
        "ito_drift": model.variables,
        "diffusion": model.variables,
    }
    if key in rows:
        return [(x.name, v) for x, v in zip(rows[key], value)]
    if key == "state":
        return [("", ", ".join(value))]
    return [(_SINGLE[key][0], value)]


# labels of single-expression derivations: (text, LaTeX)
_SINGLE = {
    "hamiltonian": ("H", "H"),
    "log_density": ("log p", r"\log p"),
    "fokker_planck": ("∂p/∂t", r"\partial_t p"),
    "generator": ("L f", r"\mathcal{L} f"),
    "freidlin_wentzell": ("L_FW", r"L_{\mathrm{FW}}"),
    "onsager_machlup": ("L_OM", r"L_{\mathrm{OM}}"),
}


def to_text(model: Model, results: dict[str, object]) -> str:
    printer = ActPrinter(_primes(model))

    def show(value) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, list):
            return "[" + ", ".join(show(v) for v in value) + "]"
        return printer.doprint(value)

    prime = _primes(model)
    blocks = [f"{model.name} ({model.kind.value})" + (f' — "{model.doc}"' if model.doc else "")]
    for key, value in results.items():
        title = DERIVATIONS[key][0]
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
            return rf"\text{{{value}}}"
        if isinstance(value, list):
            return r"\left(" + ", ".join(show(v) for v in value) + r"\right)"
        return sympy.latex(value, symbol_names=names)

    def label_tex(label: str) -> str:
        for text, tex in _SINGLE.values():
            if label == text:
                return tex
        if label.endswith("''"):
            return rf"\ddot{{{sympy.latex(symbols.symbol(label[:-2]))}}}"
        if label.endswith("'"):
            return rf"\dot{{{sympy.latex(symbols.symbol(label[:-1]))}}}"
        return sympy.latex(symbols.symbol(label), symbol_names=names)

    out = [f"% {model.name} ({model.kind.value}), derived by actionc"]
    for key, value in results.items():
        out.append(f"% {DERIVATIONS[key][0]}")
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
