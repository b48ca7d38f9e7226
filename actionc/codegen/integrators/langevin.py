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
    lines = []
    for k in range(n):
        lines.append(f"    v{k} = x[{n + k}] + half * force[{k}]  # B")
        lines.append(f"    q{k} = x[{k}] + half * v{k}  # A")
        lines.append(f"    decay = math.exp(-constants[{k}] * dt)  # O: exact Ornstein–Uhlenbeck")
        lines.append("    z, s = normal(s)")
        lines.append(f"    v{k} = decay * v{k} + constants[{n + k}] * math.sqrt(1.0 - decay * decay) * z")
        lines.append(f"    q{k} += half * v{k}  # A")
    positions = ", ".join(f"q{k}" for k in range(n))
    velocities = ", ".join(f"v{k} + half * force[{k}]" for k in range(n))
    body = "\n".join(lines)
    return f'''
@jit
def advance(x, t, dt, p, s, c, counts):
    """BAOAB: half kick, half drift, exact Ornstein–Uhlenbeck, half drift,
    half kick. Weak order 2, with configurational averages of superconvergent
    accuracy; one force evaluation per step (c = (1 if c[1:] holds it, force))."""
    constants = langevin_constants(p)  # γ_i, then sqrt(T/M_ii)
    half = 0.5 * dt
    force = c[1:] if c[0] != 0.0 else langevin_force(x, t, p)
{body}
    x = ({positions}, {", ".join(f"v{k}" for k in range(n))},)
    force = langevin_force(x, t, p)  # B
    return ({positions}, {velocities},), s, (1.0,) + force, counts, 0
'''


def _mala_applies(system: System) -> str | None:
    if system.gibbs is None:
        return "it samples exp(-E/T): it needs an energy model with a temperature"
    return None


def _mala(system: System) -> str:
    n = len(system.state)
    draws = "\n".join(f"    z, s = normal(s)\n    y{k} = x[{k}] - step * grad[{k}] + noise * z" for k in range(n))
    y = ", ".join(f"y{k}" for k in range(n))
    forward = " + ".join(f"(y{k} - x[{k}] + step * grad[{k}]) ** 2" for k in range(n))
    backward = " + ".join(f"(x[{k}] - y{k} + step * grad_y[{k}]) ** 2" for k in range(n))
    return f'''
@jit
def advance(x, t, dt, p, s, c, counts):
    """Metropolis-adjusted Langevin: propose an overdamped Langevin step
    y = x − (dt/γ)∇E(x) + sqrt(2T dt/γ) ξ, accept with the Metropolis–Hastings
    ratio, so exp(−E/T) is sampled exactly. c = (1 if cached, E(x), ∇E(x))."""
    temperature, friction = gibbs_constants(p)
    if c[0] != 0.0:
        energy_x, grad = c[1], c[2:]
    else:
        energy_x, grad = energy(x, t, p), grad_energy(x, t, p)
    step = dt / friction
    noise = math.sqrt(2.0 * temperature * step)
{draws}
    y = ({y},)
    energy_y = energy(y, t, p)
    grad_y = grad_energy(y, t, p)
    forward = {forward}
    backward = {backward}
    log_ratio = -(energy_y - energy_x) / temperature - (backward - forward) / (4.0 * temperature * step)
    u, s = uniform(s)
    accepted, proposed = counts
    if math.isfinite(log_ratio) and (log_ratio >= 0.0 or u < math.exp(log_ratio)):
        return y, s, (1.0, energy_y) + grad_y, (accepted + 1.0, proposed + 1.0), 0
    return x, s, (1.0, energy_x) + grad, (accepted, proposed + 1.0), 0
'''


BAOAB = Integrator(
    name="baoab",
    summary="BAOAB splitting for underdamped Langevin dynamics (Leimkuhler–Matthews)",
    stochastic=True,
    applies=_baoab_applies,
    source=_baoab,
    control=lambda system: 1 + len(system.langevin.positions),
    needs=("langevin_force", "langevin_constants"),
)

MALA = Integrator(
    name="mala",
    summary="Metropolis-adjusted Langevin: exact sampling of exp(-E/T)",
    stochastic=True,
    applies=_mala_applies,
    source=_mala,
    stats=("accepted", "proposed"),
    control=lambda system: 2 + len(system.state),
    needs=("energy", "grad_energy", "gibbs_constants"),
)
