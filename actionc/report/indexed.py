"""The rows of `actionc derive` for indexed models: the equations of element
i (derived once for every size), ranges and boundaries, momenta or the
gradient, log p and the noise, the Fokker–Planck operator and the generator
as sums over the elements, and the invariants."""

from __future__ import annotations

import sympy

from actionc.derive import optimization, thermo
from actionc.lang.fmt import ActPrinter
from actionc.model import Kind, Model
from actionc.report.rows import ALL, MECHANICS, Derivation, Row


def _element_label(equation, index, kind: Kind | None, template: str = "{}'") -> str:
    """q''[i] for a lagrangian's velocities, x'[i] for the others (the rate); `template` names other things."""
    name = equation.variable.name
    if kind is Kind.LAGRANGIAN and equation.role == "conjugate":
        name, template = name.removesuffix("_dot"), "{}''"
    label = template.format(name)
    return f"{label}[{index}]" if equation.array is not None else label


def _label(equation, index) -> str:
    return f"{equation.variable.name}[{index}]" if equation.array is not None else equation.variable.name


def _element_rates(d: Derivation) -> dict:
    found = d.elements
    shown = [e for e in found.equations if not (d.model.kind is Kind.LAGRANGIAN and e.role == "position")]
    return {_element_label(e, found.index, d.model.kind): e.rate for e in shown}


def _element_operator(d: Derivation, which: str) -> str:
    """The Fokker–Planck operator or the generator of dx[i] = f[i] dt + g[i] dW_i
    (Itô; overdamped Langevin: g the same for all), as a sum of element terms:
    ∂p/∂t = Σ_i ∂/∂x[i] (−f[i] p + ∂/∂x[i] (½g[i]² p)), L f = Σ_i f[i] ∂f/∂x[i] + ½g[i]² ∂²f/∂x[i]²
    (a scalar state variable contributes its one term)."""
    printer = ActPrinter({})
    terms = []
    for e in d.elements.equations:
        x = f"{e.variable.name}[{d.elements.index}]" if e.array is not None else e.variable.name
        g = e.noise if e.noise is not None else d.elements.noise
        half_g2 = sympy.simplify(g**2 / 2) if g is not None else sympy.Integer(0)
        printed = printer.doprint(half_g2)
        diffusion = "" if half_g2 == 1 else (f"({printed})*" if half_g2.is_Add else f"{printed}*")
        if which == "fokker_planck" and half_g2.has(sympy.Indexed, *d.model.state):  # ∂/∂x (½g² p)
            term = f"∂/∂{x} (({printer.doprint(-e.rate)})*p + ∂/∂{x} ({diffusion}p))"
        elif which == "fokker_planck":
            term = f"∂/∂{x} (({printer.doprint(-e.rate)})*p" + (f" + {diffusion}∂p/∂{x})" if half_g2 != 0 else ")")
        else:
            term = f"({printer.doprint(e.rate)})*∂f/∂{x}" + (f" + {diffusion}∂²f/∂{x}²" if half_g2 != 0 else "")
        if e.array is not None:
            ((lo, hi),) = e.array.bounds
            term = f"sum({d.elements.index} in {printer.doprint(lo)}..{printer.doprint(hi)}: {term})"
        terms.append(term)
    return " + ".join(terms)


def _element_ranges(d: Derivation) -> list[str]:
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
        (Kind.LAGRANGIAN, Kind.HAMILTONIAN, Kind.ENERGY),
        _element_rates,
    ),
    Row(
        "drift",
        "Drift f of each element in dx[i] = f dt + g dW_i (Itô; derived once, for every size)",
        (Kind.SDE,),
        lambda d: {_label(e, d.elements.index): e.rate for e in d.elements.equations},
    ),
    Row(
        "noises",
        "Noise g of each element in dx[i] = f dt + g dW_i, each element its own W_i",
        (Kind.SDE, Kind.LAGRANGIAN),
        lambda d: {_label(e, d.elements.index): e.noise for e in d.elements.equations if e.noise is not None},
        when=lambda d: any(e.noise is not None for e in d.elements.equations),
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
        "gradient_flow",
        "Gradient flow x'[i] = −(∂E/∂x[i])/γ, which gradient descent steps (optimize gd)",
        (Kind.ENERGY,),
        lambda d: {_element_label(e, d.elements.index, None): e.rate for e in d.elements.equations},
    ),
    Row(
        "heavy_ball",
        "Heavy ball x''[i] = … from L = Σ x'[i]²/2 − E, D = c Σ x'[i]²/2 (optimize --method momentum)",
        (Kind.ENERGY,),
        lambda d: optimization.element_flows(d.model, d.elements)["heavy_ball"],
    ),
    Row(
        "nesterov_ode",
        "Nesterov's ODE x''[i] = … from the Bregman Lagrangian t³(Σ x'[i]²/2 − E) (optimize --method nesterov)",
        (Kind.ENERGY,),
        lambda d: optimization.element_flows(d.model, d.elements)["nesterov_ode"],
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
        (Kind.ENERGY, Kind.SDE),
        lambda d: _element_operator(d, "fokker_planck"),
        symbol=("∂p/∂t", r"\partial_t p"),
    ),
    Row(
        "generator",
        "Backward generator L f, a sum over the elements",
        (Kind.ENERGY, Kind.SDE),
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
