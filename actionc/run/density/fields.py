"""The Fokker–Planck coefficients of a System, as NumPy functions on a grid.

For dx = f dt + g dW in Itô form, the density obeys

    ∂p/∂t = −∇·J,   J_i = f_i p − Σ_j ∂_j (D_ij p),   D = ½ g gᵀ,

(Gardiner, Stochastic Methods, §4.3): the diffusion stays inside the
derivative ("divergence form"), so no derivative of D is ever needed. A
Stratonovich model enters through the Itô drift its System carries
(f + ½ Σ (∂_k g) g, computed by lower). The functions are printed from the
System's expressions by the project's printer (actionc.codegen.printer),
one per drift component, so the solver evaluates only what a face needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import sympy

from actionc.codegen import printer
from actionc.codegen.kernel import load_source_module
from actionc.errors import RunError
from actionc.system import System

MAX_DIMENSIONS = 3


@dataclass(frozen=True)
class Coefficients:
    """What the finite-volume operator needs from a model. Every function
    takes (x, t, p): points with the state on the last axis, the time, and
    the parameter vector in the System's order."""

    names: tuple[str, ...]
    params: dict[str, float]  # defaults, in the order of p
    drift: tuple[Callable, ...]  # Itô drift component k: (...) values
    diffusion: Callable  # D = ½ g gᵀ: (..., n, n)
    diagonal: bool  # D has no off-diagonal entries
    time_dependent: bool  # drift or diffusion depends on t: the operator is rebuilt every step
    energy: Callable | None  # E(x), for the free energy and the exact Gibbs scheme
    temperature: Callable | None
    gibbs_exact: bool  # drift −∇E/γ with constant T and γ: the Scharfetter–Gummel flux is exact for exp(−E/T)
    initial: Callable  # the Initial and Mixture arguments, flattened in the order of `layout`
    layout: tuple[tuple[str, int, int], ...]  # (distribution, state index or -1, argument count)
    source: str  # the generated NumPy source, to read (also in the kernel cache)

    def vector(self, overrides: dict[str, float] | None = None) -> np.ndarray:
        """The parameter vector p with `overrides` applied."""
        overrides = dict(overrides or {})
        unknown = set(overrides) - set(self.params)
        if unknown:
            raise RunError(
                f"unknown parameter '{sorted(unknown)[0]}'", hint=f"the parameters are: {', '.join(self.params)}"
            )
        return np.array([overrides.get(k, v) for k, v in self.params.items()] or [0.0], dtype=float)


def coefficients(system: System) -> Coefficients:
    """Generate and load the grid functions of `system`."""
    _check(system)
    n = len(system.state)
    names = {x: f"x[..., {i}]" for i, x in enumerate(system.state)}
    names.update({p.symbol: f"p[..., {k}]" for k, p in enumerate(system.params)})
    names[system.time] = "t"
    g = sympy.Matrix(system.diffusion)
    D = g * g.T / 2
    parts = [
        f"# The Fokker–Planck coefficients of model '{system.name}' ({system.kind}) for actionc density,\n"
        "# printed from its System. Do not edit: it is rebuilt from the model.\n"
        f"# x = ({', '.join(system.names)}), p = ({', '.join(p.name for p in system.params)})\n"
        "import numpy\n"
    ]
    for k, f in enumerate(system.ito_drift):
        parts.append(printer.array_function(f"drift_{k}", [f], names, f"Itô drift along {system.names[k]}.", "scalar"))
    flat = [D[i, j] for i in range(n) for j in range(n)]
    parts.append(printer.array_function("diffusion", flat, names, "D = ½ g gᵀ.", f"matrix:{n}x{n}"))
    gibbs = system.gibbs
    if gibbs is not None:
        parts.append(printer.array_function("energy", [gibbs.energy], names, "The energy E(x).", "scalar"))
        parts.append(printer.array_function("temperature", [gibbs.temperature], names, "T.", "scalar"))
    layout, arguments = _initial_layout(system)
    parts.append(printer.array_function("initial", arguments or [0], names, "Initial-value arguments.", "vector"))
    source = "\n\n".join(part.strip("\n") for part in parts) + "\n"
    namespace = vars(load_source_module(source))
    state_or_time = set(system.state) | {system.time}
    coefficients_of_state = [*system.ito_drift, *flat]
    constant_gibbs = gibbs is not None and not (
        (gibbs.temperature.free_symbols | gibbs.friction.free_symbols) & state_or_time
    )
    return Coefficients(
        names=system.names,
        params=system.param_defaults,
        drift=tuple(namespace[f"drift_{k}"] for k in range(n)),
        diffusion=namespace["diffusion"],
        diagonal=all(sympy.expand(D[i, j]) == 0 for i in range(n) for j in range(n) if i != j),
        time_dependent=any(system.time in e.free_symbols for e in coefficients_of_state),
        energy=namespace.get("energy"),
        temperature=namespace.get("temperature"),
        gibbs_exact=constant_gibbs,
        initial=namespace["initial"],
        layout=layout,
        source=source,
    )


def _check(system: System) -> None:
    n = len(system.state)
    if not system.is_stochastic:
        raise RunError(
            f"'{system.name}' has no noise: its density is carried along the flow, not diffused",
            hint="density solves the Fokker–Planck equation of SDE and energy models with a temperature",
        )
    if not 1 <= n <= MAX_DIMENSIONS:
        raise RunError(
            f"'{system.name}' has {n} state variables; a density on a grid is solved in 1 to {MAX_DIMENSIONS}",
            hint="simulate particles with 'actionc run' instead",
        )
    if system.mass_matrix is not None or system.direction != "forward":
        raise RunError(f"'{system.name}': density needs the forward SDE of an SDE or energy model")


def _initial_layout(system: System) -> tuple[tuple, list]:
    """The initial values as one flat list of expressions, and how to read it."""
    layout, arguments = [], []
    if system.mixture is not None:
        mixture = system.mixture
        for weight, mean, cov in zip(mixture.weights, mixture.means, mixture.covs):
            flat = [weight, *mean, *(e for row in cov for e in row)]
            layout.append(("gaussian", -1, len(flat)))
            arguments += flat
        return tuple(layout), arguments
    for initial in system.init:
        layout.append((initial.distribution, initial.index, len(initial.args)))
        arguments += list(initial.args)
    return tuple(layout), arguments
