"""Fixed-step explicit Runge–Kutta methods for ODEs (Hairer, Nørsett &
Wanner, Solving ODEs I, §II.1)."""

from actionc.codegen.integrators.base import Integrator, deterministic_only, tuple_of
from actionc.system import System


def _euler(system: System) -> str:
    n = len(system.state)
    return f'''
@jit
def advance(x, t, dt, p, s, c, counts):
    """Explicit Euler, order 1: x += dt f(x, t)."""
    f = drift(x, t, p)
    return {tuple_of("x[{k}] + dt * f[{k}]", n)}, s, c, counts, 0
'''


def _rk4(system: System) -> str:
    n = len(system.state)
    return f'''
@jit
def advance(x, t, dt, p, s, c, counts):
    """The classical Runge–Kutta method, order 4."""
    half = 0.5 * dt
    k1 = drift(x, t, p)
    k2 = drift({tuple_of("x[{k}] + half * k1[{k}]", n)}, t + half, p)
    k3 = drift({tuple_of("x[{k}] + half * k2[{k}]", n)}, t + half, p)
    k4 = drift({tuple_of("x[{k}] + dt * k3[{k}]", n)}, t + dt, p)
    sixth = dt / 6.0
    x = {tuple_of("x[{k}] + sixth * (k1[{k}] + 2.0 * k2[{k}] + 2.0 * k3[{k}] + k4[{k}])", n)}
    return x, s, c, counts, 0
'''


EULER = Integrator(
    name="euler",
    summary="explicit Euler, order 1",
    stochastic=False,
    applies=deterministic_only,
    source=_euler,
)

RK4 = Integrator(
    name="rk4",
    summary="classical Runge–Kutta, order 4",
    stochastic=False,
    applies=deterministic_only,
    source=_rk4,
)
