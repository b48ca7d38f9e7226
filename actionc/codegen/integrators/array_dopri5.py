"""Dormand–Prince 5(4) over arrays: the scalar template's algorithm
(integrators/dopri5.py: its tableau, error norm and step-size control), a
particle's stages in rows of `work`, and its control row
c = (step size, rtol, atol, 1 if c[4:] holds f(x) (first same as last), f(x))."""

from actionc.codegen.integrators.dopri5 import A, C, E


def _stage(i: int) -> str:
    """Stage i+1: y = x + h Σ_j a_ij k_j, then k_{i+1} = f(y)."""
    terms = " + ".join(f"{a!r} * k{j + 1}[k]" for j, a in enumerate(A[i]) if a != 0.0)
    return (
        f"        for k in range(n):\n"
        f"            y[k] = x[k] + h * ({terms})\n"
        f"        drift(y, tc + {C[i]!r} * h, p, data, k{i + 1})\n"
    )


def source(system) -> str:
    stages = "".join(_stage(i) for i in range(1, 7))
    error = " + ".join(f"{e!r} * k{j + 1}[k]" for j, e in enumerate(E) if e != 0.0)
    return f'''
@jit
def prepare(x, t, p, data, work):
    """Nothing: f(x) is carried in the control row (first same as last)."""
    return


@jit
def advance(x, t, dt, p, data, s, c, counts, work):
    """Dormand–Prince 5(4), adaptive, from t to t + dt exactly; the error
    is the RMS over the elements of h·(5th − 4th order) / (atol + rtol·|x|)."""
    n = x.shape[0]
    k1, k2, k3, k4, k5, k6, k7, y = work[0], work[1], work[2], work[3], work[4], work[5], work[6], work[7]
    tc = t
    t_end = t + dt
    h = c[0] if c[0] > 0.0 else dt
    rtol, atol = c[1], c[2]
    if c[3] != 0.0:
        for k in range(n):
            k1[k] = c[4 + k]
    else:
        drift(x, tc, p, data, k1)
    accepted, rejected = counts
    code = 0
    while tc < t_end:
        last = tc + 1.01 * h >= t_end
        h_free = h
        if last:
            h = t_end - tc
        if h <= 1e-14 * max(1.0, abs(tc)):
            code = 3
            break
{stages}        total = 0.0
        for k in range(n):
            scaled = (h * ({error})) / (atol + rtol * max(abs(x[k]), abs(y[k])))
            total += scaled * scaled
        err = math.sqrt(total / n)
        if err <= 1.0:
            tc = t_end if last else tc + h
            for k in range(n):
                x[k] = y[k]
                k1[k] = k7[k]
            accepted += 1.0
            factor = 5.0 if err == 0.0 else min(5.0, max(0.2, 0.9 * err ** -0.2))
            h = max(h_free, h * factor) if last else h * factor
        else:
            rejected += 1.0
            h = h * max(0.2, 0.9 * err ** -0.2) if math.isfinite(err) else 0.25 * h
    c[0] = h
    c[3] = 1.0
    for k in range(n):
        c[4 + k] = k1[k]
    return s, c, (accepted, rejected), code
'''
