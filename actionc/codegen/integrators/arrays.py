"""The integrators of indexed Systems: the same methods as the tuple
templates, written once over arrays (the state x of one particle, updated
in place; `work` rows are its scratch space, allocated once per particle
and block of steps, never in the step loop).

Each writes two functions into the generated module:

    prepare(x, t, p, data, work)                      before the first step
    advance(x, t, dt, p, data, s, c, counts, work) -> (s, c, counts, code)

prepare caches what a step reuses from the previous one (a force, an
energy and its gradient) in `work`; recomputing it at the start of every
block of steps gives the same bits, so chunks never change a result.
Model functions fill an output array: drift(x, t, p, data, out).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Callable

from actionc.codegen.integrators import array_dopri5, array_samplers, hmc, nuts, warmup
from actionc.codegen.integrators.symplectic import _W0, _W1

_NOTHING = '''
@jit
def prepare(x, t, p, data, work):
    """Nothing is carried from step to step."""
    return
'''


def euler(system) -> str:
    return (
        _NOTHING
        + '''
@jit
def advance(x, t, dt, p, data, s, c, counts, work):
    """Explicit Euler, order 1: x += dt f(x, t)."""
    f = work[0]
    drift(x, t, p, data, f)
    for k in range(x.shape[0]):
        x[k] += dt * f[k]
    return s, c, counts, 0
'''
    )


def rk4(system) -> str:
    return (
        _NOTHING
        + '''
@jit
def advance(x, t, dt, p, data, s, c, counts, work):
    """The classical Runge–Kutta method, order 4."""
    n = x.shape[0]
    k1, k2, k3, k4, y = work[0], work[1], work[2], work[3], work[4]
    half = 0.5 * dt
    drift(x, t, p, data, k1)
    for k in range(n):
        y[k] = x[k] + half * k1[k]
    drift(y, t + half, p, data, k2)
    for k in range(n):
        y[k] = x[k] + half * k2[k]
    drift(y, t + half, p, data, k3)
    for k in range(n):
        y[k] = x[k] + dt * k3[k]
    drift(y, t + dt, p, data, k4)
    sixth = dt / 6.0
    for k in range(n):
        x[k] += sixth * (k1[k] + 2.0 * k2[k] + 2.0 * k3[k] + k4[k])
    return s, c, counts, 0
'''
    )


def _kick_drift_kick(weight: float) -> str:
    return f"""    step = {weight!r} * dt
    for k in range(h):
        momenta[k] += 0.5 * step * force[k]
    move_positions(x, t, p, data, step)
    drift_momenta(x, t, p, data, forces)
    for k in range(h):
        momenta[k] += 0.5 * step * force[k]
"""


def _symplectic(doc: str, weights) -> str:
    return f'''
@jit
def prepare(x, t, p, data, work):
    """The force at the start: each step reuses the last kick's."""
    drift_momenta(x, t, p, data, work[0])


@jit
def advance(x, t, dt, p, data, s, c, counts, work):
    """{doc}
    Positions are x[:h], their velocities or momenta x[h:]; the loops run
    over views from 0 (indices Numba knows are not negative: they vectorize)."""
    h = x.shape[0] // 2
    forces = work[0]
    momenta, force = x[h:], forces[h:]
{"".join(_kick_drift_kick(w) for w in weights)}    return s, c, counts, 0
'''


def leapfrog(system) -> str:
    return _symplectic("Störmer–Verlet (leapfrog), kick-drift-kick: order 2, symplectic.", [1.0])


def yoshida4(system) -> str:
    return _symplectic("Yoshida's fourth-order triple jump of leapfrog steps.", [_W1, _W0, _W1])


def euler_maruyama(system) -> str:
    if system.uniform_noise:
        return (
            _NOTHING
            + '''
@jit
def advance(x, t, dt, p, data, s, c, counts, work):
    """Euler–Maruyama (Itô), additive noise the same for every element:
    x += f dt + g sqrt(dt) z, one normal z per element, drawn in order."""
    f = work[0]
    drift(x, t, p, data, f)
    g = noise_scale(p) * math.sqrt(dt)
    for k in range(x.shape[0]):
        z, s = normal(s)
        x[k] += dt * f[k] + g * z
    return s, c, counts, 0
'''
        )
    return '''
@jit
def prepare(x, t, p, data, work):
    """Which entries have a noise (their blocks'), into work[2]."""
    noisy_entries(x, t, p, data, work[2])


@jit
def advance(x, t, dt, p, data, s, c, counts, work):
    """Euler–Maruyama (Itô), each element its own noise:
    x[k] += f[k] dt + g[k] sqrt(dt) z[k], one normal per entry of a block with
    noise, drawn in order (as the scalar template draws one per noise)."""
    f, g, noisy = work[0], work[1], work[2]
    drift(x, t, p, data, f)
    diffusion(x, t, p, data, g)
    root = math.sqrt(dt)
    for k in range(x.shape[0]):
        if noisy[k] != 0.0:
            z, s = normal(s)
            x[k] += dt * f[k] + root * g[k] * z
        else:
            x[k] += dt * f[k]
    return s, c, counts, 0
'''


def baoab(system) -> str:
    return '''
@jit
def prepare(x, t, p, data, work):
    """The force at the start (each step reuses the last B's), and the
    friction rate and thermal speed of every velocity."""
    langevin_force(x, t, p, data, work[0])
    langevin_constants(x, t, p, data, work[1:3])


@jit
def advance(x, t, dt, p, data, s, c, counts, work):
    """BAOAB (Leimkuhler & Matthews 2015, §7.3): half kick, half drift, the
    exact Ornstein–Uhlenbeck step of each velocity, half drift, half kick.
    Positions are x[:h], their velocities x[h:]; one normal per velocity,
    drawn in order (as the scalar template draws them)."""
    h = x.shape[0] // 2
    half = 0.5 * dt
    velocities, force = x[h:], work[0][h:]
    friction, thermal = work[1][h:], work[2][h:]
    for k in range(h):
        velocities[k] += half * force[k]  # B
    move_positions(x, t, p, data, half)  # A
    for k in range(h):  # O
        decay = math.exp(-friction[k] * dt)
        z, s = normal(s)
        velocities[k] = decay * velocities[k] + thermal[k] * math.sqrt(1.0 - decay * decay) * z
    move_positions(x, t, p, data, half)  # A
    langevin_force(x, t, p, data, work[0])
    for k in range(h):
        velocities[k] += half * force[k]  # B
    return s, c, counts, 0
'''


def mala(system) -> str:
    return '''
@jit
def prepare(x, t, p, data, work):
    """E(x) and ∇E(x) at the start: each step reuses the last accepted."""
    work[3, 0] = energy(x, t, p, data)
    grad_energy(x, t, p, data, work[0])


@jit
def advance(x, t, dt, p, data, s, c, counts, work):
    """Metropolis-adjusted Langevin: propose y = x − (dt/γ)∇E(x) +
    sqrt(2T dt/γ) ξ, accept with the Metropolis–Hastings ratio, so exp(−E/T)
    is sampled exactly."""
    n = x.shape[0]
    temperature, friction = gibbs_constants(p)
    grad, y, grad_y = work[0], work[1], work[2]
    energy_x = work[3, 0]
    step = dt / friction
    noise = math.sqrt(2.0 * temperature * step)
    for k in range(n):
        z, s = normal(s)
        y[k] = x[k] - step * grad[k] + noise * z
    energy_y = energy(y, t, p, data)
    grad_energy(y, t, p, data, grad_y)
    forward = 0.0
    backward = 0.0
    for k in range(n):
        forward += (y[k] - x[k] + step * grad[k]) ** 2
        backward += (x[k] - y[k] + step * grad_y[k]) ** 2
    log_ratio = -(energy_y - energy_x) / temperature - (backward - forward) / (4.0 * temperature * step)
    u, s = uniform(s)
    accepted, proposed = counts
    if math.isfinite(log_ratio) and (log_ratio >= 0.0 or u < math.exp(log_ratio)):
        for k in range(n):
            x[k] = y[k]
            grad[k] = grad_y[k]
        work[3, 0] = energy_y
        return s, c, (accepted + 1.0, proposed + 1.0), 0
    return s, c, (accepted, proposed + 1.0), 0
'''


def _deterministic(system) -> str | None:
    return "it integrates ODEs; this model has noise" if system.is_stochastic else None


def _stochastic(system) -> str | None:
    return None if system.is_stochastic else "it integrates SDEs; this model has no noise"


def _separable(system) -> str | None:
    if system.separable is None:
        return "it needs a separable Hamiltonian H = T(p) + V(q) with no time dependence, friction or noise"
    return None


def _underdamped(system) -> str | None:
    if not system.underdamped:
        return (
            "it needs underdamped Langevin dynamics: a lagrangian with a dissipation and a temperature, "
            "and a force of the coordinates alone"
        )
    return None


def _gibbs(system) -> str | None:
    return None if system.gibbs is not None else "it samples exp(-E/T): it needs an energy model"


@dataclass(frozen=True)
class ArrayMethod:
    source: Callable
    work: int  # rows of scratch space
    needs: tuple[str, ...]  # the model functions it calls
    applies: Callable
    stats: tuple[str, ...] = ()
    # the per-particle control state: (slots, slots per state entry); run options that seed
    # slots; slots reported after a run (as Integrator.reports)
    control: tuple[int, int] = (1, 0)
    options: tuple[tuple[int, str], ...] = ()
    reports: dict = field(default_factory=dict)


def _hamiltonian(integrator, rows: int) -> ArrayMethod:
    """HMC or NUTS over arrays: the scalar sampler's draw, counters and options (array_samplers.py)."""
    return ArrayMethod(
        functools.partial(array_samplers.source, integrator.name),
        rows,
        ("energy_and_gradient", "gibbs_constants"),
        _gibbs,
        integrator.stats,
        (warmup.SCALARS, warmup.VECTORS),
        integrator.options,
        warmup.reports(),
    )


ARRAY_METHODS = {
    "euler": ArrayMethod(euler, 1, ("drift",), _deterministic),
    "rk4": ArrayMethod(rk4, 5, ("drift",), _deterministic),
    "dopri5": ArrayMethod(
        array_dopri5.source,
        8,
        ("drift",),
        _deterministic,
        ("accepted_steps", "rejected_steps"),
        (4, 1),
        ((1, "rtol"), (2, "atol")),
    ),
    "leapfrog": ArrayMethod(leapfrog, 1, ("move_positions", "drift_momenta"), _separable),
    "yoshida4": ArrayMethod(yoshida4, 1, ("move_positions", "drift_momenta"), _separable),
    "euler-maruyama": ArrayMethod(euler_maruyama, 3, ("drift", "noise"), _stochastic),
    "baoab": ArrayMethod(baoab, 3, ("move_positions", "langevin_force", "langevin_constants"), _underdamped),
    "mala": ArrayMethod(mala, 4, ("energy", "grad_energy", "gibbs_constants"), _gibbs, ("accepted", "proposed")),
    "hmc": _hamiltonian(hmc.HMC, hmc.ROWS),
    "nuts": _hamiltonian(nuts.NUTS, nuts.ROWS),
}


def default_array_method(system) -> str:
    if _underdamped(system) is None:
        return "baoab"
    if system.is_stochastic:
        return "euler-maruyama"
    return "leapfrog" if _separable(system) is None else "rk4"
