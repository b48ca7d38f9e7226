"""Symplectic methods for separable Hamiltonians H = T(p) + V(q) (and for
lagrangian models ½ q'ᵀMq' − V(q) with constant M, in (q, q')).
Hairer, Lubich & Wanner, Geometric Numerical Integration (2006), §I.3,
§II.4, §V.3. Both need the System's separable hint."""

from actionc.codegen.integrators.base import Integrator
from actionc.system import System


def separable(system: System) -> str | None:
    if system.is_stochastic:
        return "it integrates Hamiltonian ODEs; this model has noise"
    if system.separable is None:
        return "it needs a separable Hamiltonian H = T(p) + V(q) with no time dependence, friction or force"
    return None


def _kick_drift(system: System, coefficient: str, indent: str) -> str:
    """One kick-drift-kick step of size coefficient*dt, reusing the force
    of the last kick (cached in c[1:], valid when c[0] == 1)."""
    h = len(system.separable.positions)
    o = system.separable.momenta[0]
    return (
        f"{indent}step = {coefficient} * dt\n"
        f"{indent}if c[0] == 0.0:\n"
        f"{indent}    drift_momenta(x, t, p, force)\n"
        f"{indent}for i in range({h}):\n"
        f"{indent}    x[{o} + i] += 0.5 * step * force[i]\n"
        f"{indent}drift_positions(x, t, p, velocity)\n"
        f"{indent}for i in range({h}):\n"
        f"{indent}    x[i] += step * velocity[i]\n"
        f"{indent}drift_momenta(x, t, p, force)\n"
        f"{indent}c[0] = 1.0\n"
        f"{indent}for i in range({h}):\n"
        f"{indent}    x[{o} + i] += 0.5 * step * force[i]\n"
    )


def _leapfrog(system: System) -> str:
    return f'''
@jit
def advance(x, t, dt, p, s, w, c, stats):
    """Störmer–Verlet (leapfrog, velocity Verlet), kick-drift-kick: order 2,
    symplectic, time-reversible; one force evaluation per step."""
    force, velocity = c[1:{1 + len(system.separable.momenta)}], w[0]
{_kick_drift(system, "1.0", "    ")}    return 0
'''


# Yoshida (1990) triple jump: w1, w0, w1 with 2 w1 + w0 = 1
_W1 = 1.0 / (2.0 - 2.0 ** (1.0 / 3.0))
_W0 = -(2.0 ** (1.0 / 3.0)) / (2.0 - 2.0 ** (1.0 / 3.0))


def _yoshida4(system: System) -> str:
    return f'''
@jit
def advance(x, t, dt, p, s, w, c, stats):
    """Yoshida's fourth-order symplectic method: leapfrog steps of
    {_W1!r}, {_W0!r} and {_W1!r} times dt (triple jump)."""
    force, velocity = c[1:{1 + len(system.separable.momenta)}], w[0]
{"".join(_kick_drift(system, repr(weight), "    ") for weight in (_W1, _W0, _W1))}    return 0
'''


LEAPFROG = Integrator(
    name="leapfrog",
    summary="Störmer–Verlet / velocity Verlet, order 2, symplectic",
    stochastic=False,
    applies=separable,
    source=_leapfrog,
    work_rows=lambda system: 1,
    control=lambda system: 1 + len(system.separable.momenta),
    needs=("drift_positions", "drift_momenta"),
)

YOSHIDA4 = Integrator(
    name="yoshida4",
    summary="Yoshida's triple-jump composition of leapfrog, order 4, symplectic",
    stochastic=False,
    applies=separable,
    source=_yoshida4,
    work_rows=lambda system: 1,
    control=lambda system: 1 + len(system.separable.momenta),
    needs=("drift_positions", "drift_momenta"),
)
