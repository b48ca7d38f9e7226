"""Fixed-step explicit Runge–Kutta methods for ODEs (Hairer, Nørsett &
Wanner, Solving ODEs I, §II.1)."""

from actionc.codegen.integrators.base import Integrator, deterministic_only
from actionc.system import System


def _euler(system: System) -> str:
    n = len(system.state)
    return f'''
@jit
def advance(x, t, dt, p, s, w, c, stats):
    """Explicit Euler, order 1: x += dt f(x, t)."""
    k = w[0]
    drift(x, t, p, k)
    for i in range({n}):
        x[i] += dt * k[i]
    return 0
'''


def _rk4(system: System) -> str:
    n = len(system.state)
    return f'''
@jit
def advance(x, t, dt, p, s, w, c, stats):
    """The classical Runge–Kutta method, order 4."""
    k1, k2, k3, k4, y = w[0], w[1], w[2], w[3], w[4]
    half = 0.5 * dt
    drift(x, t, p, k1)
    for i in range({n}):
        y[i] = x[i] + half * k1[i]
    drift(y, t + half, p, k2)
    for i in range({n}):
        y[i] = x[i] + half * k2[i]
    drift(y, t + half, p, k3)
    for i in range({n}):
        y[i] = x[i] + dt * k3[i]
    drift(y, t + dt, p, k4)
    sixth = dt / 6.0
    for i in range({n}):
        x[i] += sixth * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i])
    return 0
'''


EULER = Integrator(
    name="euler",
    summary="explicit Euler, order 1",
    stochastic=False,
    applies=deterministic_only,
    source=_euler,
    work_rows=lambda system: 1,
)

RK4 = Integrator(
    name="rk4",
    summary="classical Runge–Kutta, order 4",
    stochastic=False,
    applies=deterministic_only,
    source=_rk4,
    work_rows=lambda system: 5,
)
