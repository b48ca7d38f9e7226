"""Symplectic methods for separable Hamiltonians H = T(p) + V(q) (and for
lagrangian models ½ q'ᵀMq' − V(q) with constant M, in (q, q')).
Hairer, Lubich & Wanner, Geometric Numerical Integration (2006), §I.3,
§II.4, §V.3. Both need the System's separable hint."""

from actionc.codegen.integrators.base import Integrator
from actionc.system import System


def separable(system: System) -> str | None:
    if system.is_stochastic:
        return "it integrates Hamiltonian ODEs; this model has noise"
    split = system.separable
    if split is None:
        return "it needs a separable Hamiltonian H = T(p) + V(q) with no time dependence, friction or force"
    half = len(split.positions)
    if split.positions != tuple(range(half)) or split.momenta != tuple(range(half, 2 * half)):
        return "it needs the state ordered as (positions, momenta)"
    return None


def _kick_drift_kick(h: int, coefficient: str) -> str:
    """One kick-drift-kick step of size coefficient*dt; the force of the
    last kick is reused by the next step's first kick."""
    q = ", ".join(f"x[{k}]" for k in range(h))
    kicked = ", ".join(f"x[{h + k}] + 0.5 * step * force[{k}]" for k in range(h))
    drifted = ", ".join(f"x[{k}] + step * velocity[{k}]" for k in range(h))
    p = ", ".join(f"x[{h + k}]" for k in range(h))
    return (
        f"    step = {coefficient} * dt\n"
        f"    x = ({q}, {kicked},)\n"
        f"    velocity = drift_positions(x, t, p)\n"
        f"    x = ({drifted}, {p},)\n"
        f"    force = drift_momenta(x, t, p)\n"
        f"    x = ({q}, {kicked},)\n"
    )


def _advance(system: System, doc: str, weights) -> str:
    h = len(system.separable.positions)
    steps = "".join(_kick_drift_kick(h, repr(w)) for w in weights)
    return f'''
@jit
def advance(x, t, dt, p, s, c, counts):
    """{doc}
    c = (1 if c[1:] holds the force at x, the force)."""
    force = c[1:] if c[0] != 0.0 else drift_momenta(x, t, p)
{steps}    return x, s, (1.0,) + force, counts, 0
'''


def _leapfrog(system: System) -> str:
    return _advance(
        system,
        "Störmer–Verlet (leapfrog, velocity Verlet), kick-drift-kick: order 2,\n"
        "    symplectic, time-reversible; one force evaluation per step.",
        [1.0],
    )


# Yoshida (1990) triple jump: w1, w0, w1 with 2 w1 + w0 = 1
_W1 = 1.0 / (2.0 - 2.0 ** (1.0 / 3.0))
_W0 = -(2.0 ** (1.0 / 3.0)) / (2.0 - 2.0 ** (1.0 / 3.0))


def _yoshida4(system: System) -> str:
    return _advance(
        system,
        "Yoshida's fourth-order symplectic method: three leapfrog steps of\n"
        f"    {_W1!r}, {_W0!r} and {_W1!r} times dt (the triple jump).",
        [_W1, _W0, _W1],
    )


def _control(system: System) -> int:
    return 1 + len(system.separable.momenta)


LEAPFROG = Integrator(
    name="leapfrog",
    summary="Störmer–Verlet / velocity Verlet, order 2, symplectic",
    stochastic=False,
    applies=separable,
    source=_leapfrog,
    control=_control,
    needs=("drift_positions", "drift_momenta"),
)

YOSHIDA4 = Integrator(
    name="yoshida4",
    summary="Yoshida's triple-jump composition of leapfrog, order 4, symplectic",
    stochastic=False,
    applies=separable,
    source=_yoshida4,
    control=_control,
    needs=("drift_positions", "drift_momenta"),
)
