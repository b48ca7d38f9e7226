"""The preset forward SDEs of diffusion models (Song et al., Score-based
generative modeling through SDEs, ICLR 2021, §3.4 and App. B), each
dx_i = a(t) x_i dt + g(t) dW_i on every state variable, with what
integrating it gives: x_t = α(t) x_0 + sqrt(ν(t)) z.

    vp     a = −β/2, g² = β,                 β(t) = β_min + (β_max − β_min) t
           α = exp(−B/2), ν = 1 − exp(−B),   B(t) = ∫β = β_min t + (β_max − β_min) t²/2
    subvp  a = −β/2, g² = β (1 − e^{−2B}),   α = exp(−B/2), ν = (1 − e^{−B})²
    ve     a = 0, g² = dσ²/dt,               σ(t) = σ_min (σ_max/σ_min)^t
           α = 1, ν = σ(t)² − σ_min²
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import sympy


@dataclass(frozen=True)
class Preset:
    name: str
    summary: str
    defaults: dict[str, float]  # (as exact rationals in derivations)
    # each a function of (t, {parameter: value}) -> expression
    rate: Callable  # a(t)
    noise: Callable  # g(t)
    scale: Callable  # α(t)
    variance: Callable  # ν(t)


def _integrated_beta(t, k):
    return k["beta_min"] * t + (k["beta_max"] - k["beta_min"]) * t**2 / 2


def _beta(t, k):
    return k["beta_min"] + (k["beta_max"] - k["beta_min"]) * t


def _sigma(t, k):
    return k["sigma_min"] * (k["sigma_max"] / k["sigma_min"]) ** t


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            "vp",
            "variance preserving (DDPM): β(t) linear from beta_min to beta_max",
            {"beta_min": 0.1, "beta_max": 20.0},
            rate=lambda t, k: -_beta(t, k) / 2,
            noise=lambda t, k: sympy.sqrt(_beta(t, k)),
            scale=lambda t, k: sympy.exp(-_integrated_beta(t, k) / 2),
            variance=lambda t, k: 1 - sympy.exp(-_integrated_beta(t, k)),
        ),
        Preset(
            "subvp",
            "sub-variance preserving: the VP drift, noise g² = β (1 − e^{−2∫β})",
            {"beta_min": 0.1, "beta_max": 20.0},
            rate=lambda t, k: -_beta(t, k) / 2,
            noise=lambda t, k: sympy.sqrt(_beta(t, k) * (1 - sympy.exp(-2 * _integrated_beta(t, k)))),
            scale=lambda t, k: sympy.exp(-_integrated_beta(t, k) / 2),
            variance=lambda t, k: (1 - sympy.exp(-_integrated_beta(t, k))) ** 2,
        ),
        Preset(
            "ve",
            "variance exploding (NCSN): σ(t) geometric from sigma_min to sigma_max",
            {"sigma_min": 0.01, "sigma_max": 50.0},
            rate=lambda t, k: sympy.Integer(0),
            noise=lambda t, k: _sigma(t, k) * sympy.sqrt(2 * sympy.log(k["sigma_max"] / k["sigma_min"])),
            scale=lambda t, k: sympy.Integer(1),
            variance=lambda t, k: _sigma(t, k) ** 2 - k["sigma_min"] ** 2,
        ),
    )
}


def settings(preset: Preset, given) -> dict[str, sympy.Expr]:
    """The preset's settings: its defaults, overridden by `given` ((name,
    expression) pairs); decimals as the exact rationals they spell (0.01 is
    1/100), so that derivations stay exact."""
    values = {k: sympy.Rational(str(v)) for k, v in preset.defaults.items()}
    for name, value in given:
        values[name] = value.xreplace({f: sympy.Rational(str(f)) for f in value.atoms(sympy.Float)})
    return values
