"""Dormand–Prince 5(4) with adaptive step size (Dormand & Prince 1980;
Hairer, Nørsett & Wanner, Solving ODEs I, §II.4–5): each particle chooses
its own steps, and lands exactly on every saved time."""

from actionc.codegen.integrators.base import Integrator, deterministic_only
from actionc.system import System

# Butcher tableau
A = [
    [],
    [1 / 5],
    [3 / 40, 9 / 40],
    [44 / 45, -56 / 15, 32 / 9],
    [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
    [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
    [35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84],
]
C = [0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0]
# error weights: 5th-order minus embedded 4th-order solution
E = [71 / 57600, 0.0, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40]


def _stage(i: int, n: int) -> str:
    terms = " + ".join(f"{a!r} * k{j + 1}[i]" for j, a in enumerate(A[i]) if a != 0.0)
    return (
        f"        for i in range({n}):\n"
        f"            y[i] = x[i] + h * ({terms})\n"
        f"        drift(y, tc + {C[i]!r} * h, p, k{i + 1})\n"
    )


def _source(system: System) -> str:
    n = len(system.state)
    stages = "".join(_stage(i, n) for i in range(1, 7))
    error = " + ".join(f"{e!r} * k{j + 1}[i]" for j, e in enumerate(E) if e != 0.0)
    return f'''
@jit
def advance(x, t, dt, p, s, w, c, stats):
    """Dormand–Prince 5(4), adaptive, from t to t + dt exactly.
    c = [step size, rtol, atol, 1 if c[4:] holds f(x) (first same as last)]."""
    k1 = c[4:{4 + n}]
    k2, k3, k4, k5, k6, k7, y = w[0], w[1], w[2], w[3], w[4], w[5], w[6]
    tc = t
    t_end = t + dt
    h = c[0] if c[0] > 0.0 else dt
    rtol, atol = c[1], c[2]
    if c[3] == 0.0:
        drift(x, tc, p, k1)
    while tc < t_end:
        last = False
        if tc + h >= t_end or tc + 1.01 * h >= t_end:
            h_try = t_end - tc
            last = True
        else:
            h_try = h
        if h_try <= 1e-14 * max(1.0, abs(tc)):
            return 3
        h_saved = h
        h = h_try
{stages}        err = 0.0
        for i in range({n}):
            scale = atol + rtol * max(abs(x[i]), abs(y[i]))
            e = h * ({error}) / scale
            err += e * e
        err = math.sqrt(err / {n})
        if err <= 1.0 and math.isfinite(err):
            tc = t_end if last else tc + h
            for i in range({n}):
                x[i] = y[i]
                k1[i] = k7[i]
            stats[0] += 1.0
            factor = 5.0 if err == 0.0 else min(5.0, max(0.2, 0.9 * err ** -0.2))
            h = h * factor if not last else max(h_saved, h * factor)
        else:
            stats[1] += 1.0
            h = h * max(0.2, 0.9 * err ** -0.2) if math.isfinite(err) else 0.25 * h
    c[0] = h
    c[3] = 1.0
    return 0
'''


DOPRI5 = Integrator(
    name="dopri5",
    summary="Dormand–Prince 5(4), adaptive per particle (rtol, atol)",
    stochastic=False,
    applies=deterministic_only,
    source=_source,
    work_rows=lambda system: 7,
    stats=("accepted_steps", "rejected_steps"),
    control=lambda system: 4 + len(system.state),
)
