"""Dormand–Prince 5(4) with adaptive step size (Dormand & Prince 1980;
Hairer, Nørsett & Wanner, Solving ODEs I, §II.4–5): each particle chooses
its own steps, and lands exactly on every saved time."""

from actionc.codegen.integrators.base import Integrator, deterministic_only, tuple_of
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
    """Stage i+1: y = x + h Σ_j a_ij k_j, then k_{i+1} = f(y)."""
    terms = " + ".join(f"{a!r} * k{j + 1}[{{k}}]" for j, a in enumerate(A[i]) if a != 0.0)
    y = tuple_of(f"x[{{k}}] + h * ({terms})", n)
    return f"        y = {y}\n        k{i + 1} = drift(y, tc + {C[i]!r} * h, p)\n"


def _source(system: System) -> str:
    n = len(system.state)
    stages = "".join(_stage(i, n) for i in range(1, 7))
    error = " + ".join(f"{e!r} * k{j + 1}[{{k}}]" for j, e in enumerate(E) if e != 0.0)
    terms = " + ".join(
        f"((h * ({error.format(k=k)})) / (atol + rtol * max(abs(x[{k}]), abs(y[{k}])))) ** 2" for k in range(n)
    )
    return f'''
@jit
def advance(x, t, dt, p, s, c, counts):
    """Dormand–Prince 5(4), adaptive, from t to t + dt exactly.
    c = (step size, rtol, atol, 1 if c[4:] holds f(x) (first same as last), f(x))."""
    tc = t
    t_end = t + dt
    h = c[0] if c[0] > 0.0 else dt
    rtol, atol = c[1], c[2]
    k1 = c[4:] if c[3] != 0.0 else drift(x, tc, p)
    accepted, rejected = counts
    while tc < t_end:
        last = tc + 1.01 * h >= t_end
        h_free = h
        if last:
            h = t_end - tc
        if h <= 1e-14 * max(1.0, abs(tc)):
            return x, s, (h, rtol, atol, 1.0) + k1, (accepted, rejected), 3
{stages}        err = math.sqrt(({terms}) / {n})
        if err <= 1.0:
            tc = t_end if last else tc + h
            x = y
            k1 = k7
            accepted += 1.0
            factor = 5.0 if err == 0.0 else min(5.0, max(0.2, 0.9 * err ** -0.2))
            h = max(h_free, h * factor) if last else h * factor
        else:
            rejected += 1.0
            h = h * max(0.2, 0.9 * err ** -0.2) if math.isfinite(err) else 0.25 * h
    return x, s, (h, rtol, atol, 1.0) + k1, (accepted, rejected), 0
'''


DOPRI5 = Integrator(
    name="dopri5",
    summary="Dormand–Prince 5(4), adaptive per particle (rtol, atol)",
    stochastic=False,
    applies=deterministic_only,
    source=_source,
    stats=("accepted_steps", "rejected_steps"),
    control=lambda system: 4 + len(system.state),
    options=((1, "rtol"), (2, "atol")),
)
