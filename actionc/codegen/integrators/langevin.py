"""Samplers of Gibbs densities: BAOAB for underdamped Langevin dynamics
(Leimkuhler & Matthews, Molecular Dynamics, 2015, §7.3) and MALA for energy
models (Roberts & Tweedie, Bernoulli 2 (1996); Besag 1994)."""

from actionc.codegen.integrators.base import Integrator
from actionc.system import System


def _baoab_applies(system: System) -> str | None:
    split = system.langevin
    if split is None:
        return (
            "it needs underdamped Langevin dynamics with constant mass and friction and a conservative, "
            "time-independent force (a lagrangian with dissipation and temperature)"
        )
    n = len(split.positions)
    off_diagonal = [split.mass[i][j] for i in range(n) for j in range(n) if i != j]
    off_diagonal += [split.friction[i][j] for i in range(n) for j in range(n) if i != j]
    if any(e != 0 for e in off_diagonal):
        return "it needs diagonal mass and friction matrices"
    return None


def _baoab(system: System) -> str:
    n = len(system.langevin.positions)
    return f'''
@jit
def advance(x, t, dt, p, s, w, c, stats):
    """BAOAB: half kick, half drift, exact Ornstein–Uhlenbeck, half drift,
    half kick. Weak order 2, with configurational averages of superconvergent
    accuracy; one force evaluation per step (cached in c[1:])."""
    force, gamma, sigma = c[1:{1 + n}], w[0], w[1]
    langevin_constants(p, gamma, sigma)
    half = 0.5 * dt
    if c[0] == 0.0:
        langevin_force(x, t, p, force)
    for i in range({n}):
        x[{n} + i] += half * force[i]
        x[i] += half * x[{n} + i]
    for i in range({n}):
        decay = math.exp(-gamma[i] * dt)
        x[{n} + i] = decay * x[{n} + i] + sigma[i] * math.sqrt(1.0 - decay * decay) * normal(s)
        x[i] += half * x[{n} + i]
    langevin_force(x, t, p, force)
    c[0] = 1.0
    for i in range({n}):
        x[{n} + i] += half * force[i]
    return 0
'''


def _mala_applies(system: System) -> str | None:
    if system.gibbs is None:
        return "it samples exp(-E/T): it needs an energy model with a temperature"
    return None


def _mala(system: System) -> str:
    n = len(system.state)
    return f'''
@jit
def advance(x, t, dt, p, s, w, c, stats):
    """Metropolis-adjusted Langevin: propose an overdamped Langevin step
    y = x − (dt/γ)∇E(x) + sqrt(2T dt/γ) ξ, accept with the Metropolis–Hastings
    ratio, so exp(−E/T) is sampled exactly. E and ∇E at x are cached
    (c[0] == 1 means c[1] and c[2:] hold them)."""
    grad_x, grad_y, y = c[2:{2 + n}], w[0], w[1]
    constants = w[2]
    gibbs_constants(p, constants)
    temperature, friction = constants[0], constants[1]
    if c[0] == 0.0:
        c[1] = energy(x, t, p)
        grad_energy(x, t, p, grad_x)
        c[0] = 1.0
    step = dt / friction
    noise = math.sqrt(2.0 * temperature * step)
    for i in range({n}):
        y[i] = x[i] - step * grad_x[i] + noise * normal(s)
    energy_y = energy(y, t, p)
    grad_energy(y, t, p, grad_y)
    forward = 0.0
    backward = 0.0
    for i in range({n}):
        a = y[i] - x[i] + step * grad_x[i]
        b = x[i] - y[i] + step * grad_y[i]
        forward += a * a
        backward += b * b
    log_ratio = -(energy_y - c[1]) / temperature - (backward - forward) / (4.0 * temperature * step)
    u = uniform(s)
    if math.isfinite(log_ratio) and (log_ratio >= 0.0 or u < math.exp(log_ratio)):
        for i in range({n}):
            x[i] = y[i]
            grad_x[i] = grad_y[i]
        c[1] = energy_y
        stats[0] += 1.0
    stats[1] += 1.0
    return 0
'''


BAOAB = Integrator(
    name="baoab",
    summary="BAOAB splitting for underdamped Langevin dynamics (Leimkuhler–Matthews)",
    stochastic=True,
    applies=_baoab_applies,
    source=_baoab,
    work_rows=lambda system: 2,
    control=lambda system: 1 + len(system.langevin.positions),
    needs=("langevin_force", "langevin_constants"),
)

MALA = Integrator(
    name="mala",
    summary="Metropolis-adjusted Langevin: exact sampling of exp(-E/T)",
    stochastic=True,
    applies=_mala_applies,
    source=_mala,
    work_rows=lambda system: 3,
    stats=("accepted", "proposed"),
    control=lambda system: 2 + len(system.state),
    needs=("energy", "grad_energy", "gibbs_constants"),
)
