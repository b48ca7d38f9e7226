"""System: the one first-order IR that the back end consumes.

    dx = drift(x, t; θ) dt + diffusion(x, t; θ) dW

Everything an integrator may need is here as data: the state and parameter
symbols, drift and diffusion, the calculus, structure hints (a separable
Hamiltonian split, a Langevin split, a Gibbs density, a mass matrix to solve
numerically, the noise's structure), the derivatives the kernel evaluates,
invariants to monitor, and initial values. A System is built by
actionc.lower, checked when constructed, and never changed; what only some
integrators need (a drift Jacobian, a discrete Lagrangian step) lower adds
on request (Requirement), as a new System.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import sympy

from actionc.arrays import Array, Input
from actionc.kinds import Calculus, Kind
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
    # indexed systems: `index` is the block, `element` the element's index
    # (the block's index symbol: every element, args written in it)
    element: sympy.Expr | None = None


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
    kinetic: sympy.Expr | None  # None for indexed systems (positions and momenta are blocks)
    potential: sympy.Expr | None


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
    hessian: tuple[tuple[sympy.Expr, ...], ...]  # ∂²V/∂q_i∂q_j: minima, saddles and rates of V


@dataclass(frozen=True)
class Event:
    """An event the kernel watches for along each particle's steps: the
    function g(x, t) crossing zero upward (either way, `two_sided`), where
    every `keep` expression is positive. `stop`: the particle stops at its
    first event (a first passage, --until); else each crossing is recorded
    (a Poincaré section, --section). `text`: the condition as written."""

    crossing: sympy.Expr
    keep: tuple[sympy.Expr, ...]
    two_sided: bool
    stop: bool
    text: str


@dataclass(frozen=True)
class Gibbs:
    """The stationary density exp(−energy/T) of overdamped Langevin
    dynamics with friction γ: what MALA samples exactly."""

    energy: sympy.Expr
    temperature: sympy.Expr
    friction: sympy.Expr
    gradient: tuple[sympy.Expr, ...]  # ∇E
    hessian: tuple[tuple[sympy.Expr, ...], ...]  # ∂²E/∂x_i∂x_j


@dataclass(frozen=True)
class Noise:
    """The structure of the diffusion g (Kloeden & Platen §10.3): what the
    SDE integrators test and use."""

    diagonal: bool  # one noise per state variable, nothing off the diagonal
    additive: bool  # g does not depend on the state
    commutative: bool  # L^j g^k = L^k g^j: Milstein needs no Lévy areas
    milstein: tuple[tuple[tuple[sympy.Expr, ...], ...], ...]  # L^j g_ik = Σ_l g_lj ∂_l g_ik at [i][j][k]


@dataclass(frozen=True)
class DiscreteStep:
    """One step of a variational integrator (Marsden & West 2001): the
    discrete momenta at both ends of a step of L_d(q_k, q_{k+1}, h), in the
    symbols `start` = q_k, `end` = q_{k+1} and `step` = h, with what
    Newton's method on p_k = −D1 L_d − f⁻ needs."""

    rule: str
    start: tuple[sympy.Symbol, ...]
    end: tuple[sympy.Symbol, ...]
    step: sympy.Symbol
    start_momentum: tuple[sympy.Expr, ...]  # p_k = −D1 L_d − f⁻
    end_momentum: tuple[sympy.Expr, ...]  # p_{k+1} = D2 L_d + f⁺
    start_jacobian: tuple[sympy.Expr, ...]  # ∂p_k/∂q_{k+1} at [i*n + j]
    momentum: tuple[sympy.Expr, ...]  # ∂L/∂q'
    momentum_jacobian: tuple[sympy.Expr, ...]  # ∂²L/∂q'_i∂q'_j at [i*n + j]


class Requirement(Enum):
    """What an integrator needs beyond every System: lower adds it on request
    (actionc.lower.equip), and the code generator checks it is there."""

    JACOBIAN = "the drift's Jacobian"
    MIDPOINT_STEP = "the midpoint discrete Lagrangian step"
    TRAPEZOID_STEP = "the trapezoidal discrete Lagrangian step"

    @property
    def rule(self) -> str | None:
        """The quadrature rule of a discrete Lagrangian step (actionc.quadrature)."""
        return {Requirement.MIDPOINT_STEP: "midpoint", Requirement.TRAPEZOID_STEP: "trapezoid"}.get(self)

    def met_by(self, system: System) -> bool:
        if self is Requirement.JACOBIAN:
            return system.jacobian is not None
        return system.discrete is not None and system.discrete.rule == self.rule


@dataclass(frozen=True)
class Mixture:
    """A Gaussian mixture Σ w_k N(m_k, C_k) to draw initial states from
    (weights normalized; constant expressions of the parameters)."""

    weights: tuple[sympy.Expr, ...]
    means: tuple[tuple[sympy.Expr, ...], ...]
    covs: tuple[tuple[tuple[sympy.Expr, ...], ...], ...]


@dataclass(frozen=True)
class Block:
    """Part of an indexed System's state: an array x[lo..hi] (or a scalar,
    `array` None) and the equation of its element i,

        dx[i] = drift(i) dt + noise dW_i        (lo ≤ i ≤ hi)

    `drift` is written in `index` (i), other elements (x[i+1]), sums and
    data arrays; `noise` is the coefficient g(i) of an independent Wiener
    process per element, Itô (None: an ODE); it may read the state. `role`
    says where it sits in a mechanical split: "position", "conjugate" (a
    velocity or momentum), or "state"; `gradient` is ∂E/∂x[i] of an energy
    model."""

    symbol: sympy.Symbol | sympy.IndexedBase
    array: Array | None
    index: sympy.Symbol | None
    drift: sympy.Expr
    role: str = "state"
    noise: sympy.Expr | None = None
    gradient: sympy.Expr | None = None
    # a velocity of underdamped Langevin dynamics, for BAOAB: (its conservative acceleration, friction
    # rate γ[i], thermal speed √(T/m[i])); drift = acceleration − γ[i]·v[i], noise = √(2γ[i])·thermal speed
    langevin: tuple[sympy.Expr, sympy.Expr, sympy.Expr] | None = None

    @property
    def name(self) -> str:
        return self.symbol.name


@dataclass(frozen=True)
class System:
    name: str
    kind: Kind
    state: tuple[sympy.Symbol, ...]
    params: tuple[Parameter, ...]
    time: sympy.Symbol
    drift: tuple[sympy.Expr, ...]  # in `calculus`
    ito_drift: tuple[sympy.Expr, ...]  # the same for Itô systems and ODEs
    diffusion: tuple[tuple[sympy.Expr, ...], ...] | None = None  # state × noise
    noises: tuple[str, ...] = ()
    calculus: Calculus = Calculus.ITO
    mass_matrix: MassMatrix | None = None
    separable: SeparableSplit | None = None
    langevin: LangevinSplit | None = None
    gibbs: Gibbs | None = None
    event: Event | None = None  # a first passage or a section the kernel records
    noise: Noise | None = None  # with the diffusion, always
    jacobian: tuple[tuple[sympy.Expr, ...], ...] | None = None  # ∂f_i/∂x_j, on request (Requirement.JACOBIAN)
    discrete: DiscreteStep | None = None  # on request (Requirement.*_STEP)
    divergence: sympy.Expr | None = None  # ∇·f of the Itô drift, for SDEs without a mass matrix
    invariants: tuple[tuple[str, sympy.Expr], ...] = ()
    # mechanical models: where the coordinates q sit in the state, and their
    # conjugates — velocities q' (lagrangian) or momenta p (hamiltonian)
    coordinates: tuple[int, ...] = ()
    conjugates: tuple[int, ...] = ()
    # the Lagrangian L(x, t) of a lagrangian model, in its state (q, q_dot):
    # the density of the action S = ∫ L dt along a trajectory
    lagrangian: sympy.Expr | None = None
    # its non-conservative generalized forces Q(x, t) (declared forces and
    # −∂D/∂q' of a dissipation function); None when nothing but L acts
    forces: tuple[sympy.Expr, ...] | None = None
    # ∂L/∂(q, q') and its (symmetric) Hessian, with the Lagrangian
    lagrangian_gradient: tuple[sympy.Expr, ...] | None = None
    lagrangian_hessian: tuple[tuple[sympy.Expr, ...], ...] | None = None
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
    # indexed systems: the state is made of blocks (arrays and scalars, in
    # order), `state` and `drift` stay empty; sizes are parameters (whole
    # numbers ≥ 1) and inputs are data arrays passed to the kernel
    blocks: tuple[Block, ...] = ()
    sizes: tuple[sympy.Symbol, ...] = ()
    inputs: tuple[Input, ...] = ()
    arrays: tuple[Array, ...] = ()  # every array the expressions read (state, velocities, inputs)
    size_requirements: tuple[sympy.Expr, ...] = ()  # each ≥ 0 for the sizes of a run

    def __post_init__(self) -> None:
        n = len(self.state)
        if len(self.drift) != n or len(self.ito_drift) != n:
            raise ValueError("drift must have one entry per state variable")
        if self.diffusion is not None:
            if len(self.diffusion) != n or any(len(row) != len(self.noises) for row in self.diffusion):
                raise ValueError("diffusion must be state × noise")
        elif self.noises:
            raise ValueError("noises without a diffusion matrix")
        if (self.diffusion is None) != (self.noise is None):
            raise ValueError("the noise's structure comes with the diffusion")
        if (self.lagrangian is None) != (self.lagrangian_hessian is None):
            raise ValueError("a Lagrangian comes with its derivatives")
        for name, kind in (("kind", Kind), ("calculus", Calculus), ("direction", Direction)):
            object.__setattr__(self, name, kind(getattr(self, name)))  # a typo fails here, not in a template
        known = set(self.state) | {p.symbol for p in self.params} | {self.time}
        unknowns = set(self.mass_matrix.unknowns) if self.mass_matrix else set()
        unknowns |= set(self.external_score or ())
        for expr in (*self.drift, *self.ito_drift, *(e for row in self.diffusion or () for e in row)):
            stray = expr.free_symbols - known - unknowns
            if stray:
                raise ValueError(f"{self.name}: drift or diffusion uses unknown symbols {sorted(map(str, stray))}")

    @property
    def indexed(self) -> bool:
        return bool(self.blocks)

    @property
    def coordinate_names(self) -> tuple[str, ...]:
        return tuple(self.state[i].name for i in self.coordinates)

    @property
    def conjugate_names(self) -> tuple[str, ...]:
        return tuple(self.state[i].name for i in self.conjugates)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(x.name for x in self.state)

    @property
    def uniform_noise(self) -> bool:
        """An indexed System whose every element has the same noise, a function of the parameters alone."""
        noises = {b.noise for b in self.blocks}
        if len(noises) != 1 or None in noises:
            return False
        (noise,) = noises
        indices = [b.index for b in self.blocks if b.index is not None]
        return not noise.has(sympy.Indexed, self.time, *(b.symbol for b in self.blocks), *indices)

    @property
    def underdamped(self) -> bool:
        """An indexed System of underdamped Langevin dynamics whose force reads the coordinates alone (BAOAB)."""
        conjugates = [self.blocks[k] for k in self.conjugates]
        if not conjugates or any(b.langevin is None for b in conjugates):
            return False
        velocities = {b.symbol for b in conjugates}
        for b in conjugates:
            reads = {r.base for r in b.langevin[0].atoms(sympy.Indexed)} | b.langevin[0].free_symbols
            if reads & velocities or self.time in reads:
                return False
        return True

    @property
    def is_stochastic(self) -> bool:
        return self.diffusion is not None or any(b.noise is not None for b in self.blocks)

    @property
    def param_defaults(self) -> dict[str, float]:
        return {p.name: p.default for p in self.params}
