"""The derivations `actionc derive` shows of a model with scalar
variables: one table of rows, each a key, a title, the kinds of model it
applies to, and how it is computed (Derivation shares the work several
rows need)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

import sympy

from actionc.derive import diffusion, elements, mechanics, optimization, paths, reverse, stochastic, thermo
from actionc.model import Calculus, Kind, Model


class NotApplicable(ValueError):
    """A derivation asked for by name does not apply to this model."""


class Derivation:
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
    compute: Callable[[Derivation], object]
    when: Callable[[Derivation], bool] = lambda d: True
    rows: Callable[[Model], tuple] | None = None
    symbol: tuple[str, str] | None = None
    inverting: bool = False  # inverts the mass matrix: computed for large systems only when asked for


def _named(symbols_, values) -> dict[str, sympy.Expr]:
    return {s.name: v for s, v in zip(symbols_, values)}


def _rows(matrix: sympy.Matrix):
    return [list(matrix.row(i)) for i in range(matrix.shape[0])]


def _fokker_planck(d: Derivation):
    sde = d.sde
    return stochastic.fokker_planck(sde.drift, sde.diffusion, sde.state, stochastic.density_function(sde.state))


def _generator(d: Derivation):
    sde = d.sde
    return stochastic.generator(sde.drift, sde.diffusion, sde.state, stochastic.test_function(sde.state))


def _score(d: Derivation):
    if d.model.kind is Kind.ENERGY:
        return thermo.score(d.model)
    return list(reverse.score(d.log_density, d.model.state))


ALL, MECHANICS, NOISY = tuple(Kind), (Kind.LAGRANGIAN, Kind.HAMILTONIAN), (Kind.LAGRANGIAN, Kind.ENERGY, Kind.SDE)
FIRST_ORDER = (Kind.ENERGY, Kind.SDE)


def _coordinates(model: Model) -> tuple:
    return model.coordinates


def _variables(model: Model) -> tuple:
    return model.variables


def _has_hamiltonian(d: Derivation) -> bool:
    # underdamped Langevin has no Hamiltonian flow to show
    return d.model.kind is not Kind.LAGRANGIAN or d.model.temperature is None


def _has_density(d: Derivation) -> bool:
    return (d.model.kind is not Kind.SDE or d.model.runs_backwards) and not _zero_temperature(d)


def _zero_temperature(d: Derivation) -> bool:
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
        "Temperature 0: the noise-free gradient flow dx/dt = −∇E/γ, which gradient descent steps (optimize gd)",
        (Kind.ENERGY,),
        lambda d: thermo.gradient_flow(d.model),
        rows=_variables,
    ),
    Row(
        "heavy_ball",
        "Heavy ball x'' = … from L = |x'|²/2 − E, D = c|x'|²/2 (optimize --method momentum)",
        (Kind.ENERGY,),
        lambda d: optimization.heavy_ball(d.model),
    ),
    Row(
        "nesterov_ode",
        "Nesterov's ODE x'' = … from the Bregman Lagrangian t³(|x'|²/2 − E) (optimize --method nesterov)",
        (Kind.ENERGY,),
        lambda d: optimization.nesterov_ode(d.model),
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
