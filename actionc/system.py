"""System: the one first-order IR that the back end consumes.

    dx = drift(x, t; θ) dt + diffusion(x, t; θ) dW

Everything an integrator may need is here as data: the state and parameter
symbols, drift and diffusion, the calculus, structure hints (a separable
Hamiltonian split, a Langevin split, a Gibbs density, a mass matrix to solve
numerically), invariants to monitor, and initial values. A System is built
by actionc.lower, checked when constructed, and never changed.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from actionc.methods import Direction


@dataclass(frozen=True)
class Parameter:
    symbol: sympy.Symbol
    default: float

    @property
    def name(self) -> str:
        return self.symbol.name


@dataclass(frozen=True)
class Initial:
    """Initial value of state[index]: "value" (one argument), "normal"
    (mean, std) or "uniform" (low, high); arguments are in the parameters."""

    index: int
    distribution: str
    args: tuple[sympy.Expr, ...]


@dataclass(frozen=True)
class MassMatrix:
    """Some drift entries are the unknowns of M(x, t) a = F(x, t), solved
    numerically in the kernel at every evaluation (systems too large to
    invert symbolically)."""

    unknowns: tuple[sympy.Symbol, ...]
    matrix: tuple[tuple[sympy.Expr, ...], ...]
    forcing: tuple[sympy.Expr, ...]


@dataclass(frozen=True)
class SeparableSplit:
    """x = (q, p) with q' = drift[q](p) and p' = drift[p](q), no time and no
    noise: H = kinetic(p) + potential(q). Leapfrog and Yoshida apply. For a
    lagrangian model with constant mass matrix, p are the velocities."""

    positions: tuple[int, ...]
    momenta: tuple[int, ...]
    kinetic: sympy.Expr
    potential: sympy.Expr


@dataclass(frozen=True)
class LangevinSplit:
    """Underdamped Langevin M q'' = −∇V(q) − R q' + noise at temperature T,
    with constant M and R: what BAOAB needs."""

    positions: tuple[int, ...]
    velocities: tuple[int, ...]
    mass: tuple[tuple[sympy.Expr, ...], ...]
    friction: tuple[tuple[sympy.Expr, ...], ...]
    force: tuple[sympy.Expr, ...]
    potential: sympy.Expr
    temperature: sympy.Expr


@dataclass(frozen=True)
class Gibbs:
    """The stationary density exp(−energy/T) of overdamped Langevin
    dynamics with friction γ: what MALA samples exactly."""

    energy: sympy.Expr
    temperature: sympy.Expr
    friction: sympy.Expr


@dataclass(frozen=True)
class Mixture:
    """A Gaussian mixture Σ w_k N(m_k, C_k) to draw initial states from
    (weights normalized; constant expressions of the parameters)."""

    weights: tuple[sympy.Expr, ...]
    means: tuple[tuple[sympy.Expr, ...], ...]
    covs: tuple[tuple[tuple[sympy.Expr, ...], ...], ...]


@dataclass(frozen=True)
class System:
    name: str
    kind: str
    state: tuple[sympy.Symbol, ...]
    params: tuple[Parameter, ...]
    time: sympy.Symbol
    drift: tuple[sympy.Expr, ...]  # in `calculus`
    ito_drift: tuple[sympy.Expr, ...]  # the same for Itô systems and ODEs
    diffusion: tuple[tuple[sympy.Expr, ...], ...] | None = None  # state × noise
    noises: tuple[str, ...] = ()
    calculus: str = "ito"
    mass_matrix: MassMatrix | None = None
    separable: SeparableSplit | None = None
    langevin: LangevinSplit | None = None
    gibbs: Gibbs | None = None
    invariants: tuple[tuple[str, sympy.Expr], ...] = ()
    # the Lagrangian L(x, t) of a lagrangian model, in its state (q, q_dot):
    # the density of the action S = ∫ L dt along a trajectory
    lagrangian: sympy.Expr | None = None
    # its non-conservative generalized forces Q(x, t) (declared forces and
    # −∂D/∂q' of a dissipation function); None when nothing but L acts
    forces: tuple[sympy.Expr, ...] | None = None
    init: tuple[Initial, ...] = ()
    # diffusion models and SDEs with a density p_t: which way the System
    # runs ("forward"; "reverse" and "flow" run the kernel time t from 0 to
    # the horizon T while the model's time is T − t; "likelihood" carries
    # the integrated divergence as a last state variable), the score
    # ∇log p (in kernel time), log p itself, and a mixture to start from
    direction: Direction = Direction.FORWARD
    horizon: sympy.Expr | None = None
    score: tuple[sympy.Expr, ...] | None = None
    log_density: sympy.Expr | None = None
    mixture: Mixture | None = None
    # symbols standing for the components of a score supplied at run time
    # (actionc.run.sampling): the kernel evaluates sc = score(x, t, p) once
    external_score: tuple[sympy.Symbol, ...] | None = None

    def __post_init__(self) -> None:
        n = len(self.state)
        if len(self.drift) != n or len(self.ito_drift) != n:
            raise ValueError("drift must have one entry per state variable")
        if self.diffusion is not None:
            if len(self.diffusion) != n or any(len(row) != len(self.noises) for row in self.diffusion):
                raise ValueError("diffusion must be state × noise")
        elif self.noises:
            raise ValueError("noises without a diffusion matrix")
        if self.calculus not in ("ito", "stratonovich"):
            raise ValueError(f"unknown calculus {self.calculus!r}")
        known = set(self.state) | {p.symbol for p in self.params} | {self.time}
        unknowns = set(self.mass_matrix.unknowns) if self.mass_matrix else set()
        unknowns |= set(self.external_score or ())
        for expr in (*self.drift, *self.ito_drift, *(e for row in self.diffusion or () for e in row)):
            stray = expr.free_symbols - known - unknowns
            if stray:
                raise ValueError(f"{self.name}: drift or diffusion uses unknown symbols {sorted(map(str, stray))}")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(x.name for x in self.state)

    @property
    def is_stochastic(self) -> bool:
        return self.diffusion is not None

    @property
    def param_defaults(self) -> dict[str, float]:
        return {p.name: p.default for p in self.params}
