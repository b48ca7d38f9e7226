"""Energies and heat: Gibbs densities, scores, gradient flows, and Langevin
dynamics, overdamped (energy models) and underdamped (lagrangian models
with dissipation and temperature).

References: Pavliotis, Stochastic Processes and Applications (2014), ch. 4
and 6; Leimkuhler & Matthews, Molecular Dynamics (2015), ch. 6–7.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from actionc import symbols
from actionc.derive import calculus, mechanics
from actionc.model import Kind, Model

ONE = sympy.Integer(1)


def temperature(model: Model) -> sympy.Expr:
    """T; an energy model without `temperature` is at T = 1."""
    return model.temperature if model.temperature is not None else ONE


def friction(model: Model) -> sympy.Expr:
    """γ of an energy model's Langevin dynamics (default 1)."""
    return model.friction if model.friction is not None else ONE


def _require_energy(model: Model, what: str) -> None:
    if model.kind is not Kind.ENERGY:
        raise ValueError(f"{what} needs an energy model, not {model.kind.value}")


def log_density(model: Model) -> sympy.Expr:
    """log p(x) + const = −E(x)/T: the Gibbs density, unnormalized."""
    _require_energy(model, "log_density")
    return -model.energy / temperature(model)


def score(model: Model) -> list[sympy.Expr]:
    """∇ log p = −∇E/T."""
    _require_energy(model, "score")
    return [-g / temperature(model) for g in calculus.gradient(model.energy, model.state)]


def gradient_flow(model: Model) -> list[sympy.Expr]:
    """x' = −∇E/γ: the zero-temperature limit of overdamped Langevin."""
    _require_energy(model, "gradient_flow")
    return [-g / friction(model) for g in calculus.gradient(model.energy, model.state)]


@dataclass(frozen=True)
class Sde:
    """dx = drift dt + diffusion dW, for one ordered state and named noises."""

    state: tuple[sympy.Symbol, ...]
    drift: sympy.Matrix  # n × 1
    diffusion: sympy.Matrix | None  # n × m, None for an ODE
    noises: tuple[str, ...] = ()


def overdamped_langevin(model: Model) -> Sde:
    """dx = −∇E/γ dt + sqrt(2T/γ) dW: its stationary density is exp(−E/T)."""
    _require_energy(model, "overdamped_langevin")
    n = len(model.state)
    noise = sympy.sqrt(2 * temperature(model) / friction(model))
    return Sde(
        state=model.state,
        drift=sympy.Matrix(gradient_flow(model)),
        diffusion=noise * sympy.eye(n),
        noises=tuple(f"W_{x.name}" for x in model.state),
    )


@dataclass(frozen=True)
class LangevinSplit:
    """What BAOAB needs of L = ½ q'ᵀ M q' − V(q), D = ½ q'ᵀ R q':
    constant M and R, the force −∇V(q), and T."""

    mass: sympy.Matrix
    friction: sympy.Matrix
    force: tuple[sympy.Expr, ...]
    potential: sympy.Expr
    temperature: sympy.Expr


def friction_matrix(model: Model) -> sympy.Matrix:
    """R = ∂²D/∂q'∂q' of the Rayleigh dissipation function D."""
    vs = model.velocities
    return sympy.Matrix([[sympy.diff(model.dissipation, a, b) for b in vs] for a in vs])


def underdamped_langevin(model: Model) -> tuple[Sde, LangevinSplit | None]:
    """M(q) q'' = F(q, q', t) + Σ ξ with Σ Σᵀ = 2 T R (fluctuation–dissipation):
    the momentum noise has covariance 2T times the friction matrix. In the
    state (q, q'), dq' = M⁻¹F dt + M⁻¹ Σ dW with Σ = chol(2 T R)."""
    if model.kind is not Kind.LAGRANGIAN or model.temperature is None or model.dissipation is None:
        raise ValueError("underdamped_langevin needs a lagrangian model with dissipation and temperature")
    form = mechanics.mass_matrix_form(model)
    mechanics.check_regular(model, form)
    n = len(model.coordinates)
    R = friction_matrix(model)
    T = model.temperature
    try:
        sigma = _cholesky(2 * T * R)
    except ValueError:
        raise model.error(
            "the friction matrix ∂²D/∂q'∂q' of the dissipation function is not positive semidefinite",
            "dissipation",
            hint="a Rayleigh dissipation function is a positive quadratic form, like gamma*q'^2/2",
        ) from None
    M_inv = form.matrix.inv() if n <= mechanics.SYMBOLIC_SOLVE_MAX else None
    if M_inv is None:
        raise model.error(
            f"underdamped Langevin dynamics is supported for up to {mechanics.SYMBOLIC_SOLVE_MAX} coordinates",
            "temperature",
            hint="the mass-matrix form with noise is not implemented yet",
        )
    accelerations = mechanics.accelerations(model, form)
    drift = sympy.Matrix([*model.velocities, *accelerations])
    diffusion = sympy.zeros(2 * n, n)
    diffusion[n:, :] = (M_inv * sigma).applyfunc(sympy.simplify)
    sde = Sde(model.coordinates + model.velocities, drift, diffusion, tuple(f"W_{q.name}" for q in model.coordinates))
    return sde, _langevin_split(model, form, R)


def _langevin_split(model: Model, form: mechanics.MassMatrixForm, R: sympy.Matrix) -> LangevinSplit | None:
    """The split exists when M and R are constant, D is quadratic, and the
    remaining force is conservative and time-independent: F = −∇V(q) − R q'."""
    qs, vs = model.coordinates, model.velocities
    variables = set(qs) | set(vs) | {symbols.time}
    if form.matrix.free_symbols & variables or R.free_symbols & variables or model.forces:
        return None
    L = model.lagrangian
    kinetic = (sympy.Matrix(vs).T * form.matrix * sympy.Matrix(vs))[0] / 2
    V = mechanics.multiply_out(kinetic - L)
    if V.free_symbols & (set(vs) | {symbols.time}):
        return None
    return LangevinSplit(
        mass=form.matrix,
        friction=R,
        force=tuple(-sympy.diff(V, q) for q in qs),
        potential=V,
        temperature=model.temperature,
    )


def _cholesky(A: sympy.Matrix) -> sympy.Matrix:
    """Lower-triangular Σ with Σ Σᵀ = A, allowing zero rows (a coordinate
    without friction gets no noise)."""
    n = A.shape[0]
    if A.is_diagonal():
        diagonal = []
        for i in range(n):
            if A[i, i].is_negative:
                raise ValueError("negative")
            diagonal.append(sympy.sqrt(A[i, i]))
        return sympy.diag(*diagonal)
    return A.cholesky(hermitian=False)
