"""The implicit midpoint rule (Hairer, Lubich & Wanner, Geometric Numerical
Integration, §II.1, §VI.3): symplectic for every Hamiltonian, separable or
not, order 2. Each step solves y = x + h f((x + y)/2, t + h/2) by Newton's
method with the symbolic Jacobian of the drift."""

from actionc.codegen.integrators.base import Integrator
from actionc.system import System


def _applies(system: System) -> str | None:
    if system.is_stochastic:
        return "it integrates ODEs; this model has noise"
    if system.mass_matrix is not None:
        return "it needs the drift in closed form; this model keeps a mass matrix (too many coordinates)"
    return None


def _source(system: System) -> str:
    n = len(system.state)
    return f'''
@jit
def advance(x, t, dt, p, s, w, c, stats):
    """Implicit midpoint: Newton on g(y) = y − x − h f((x + y)/2, t + h/2)."""
    y, mid, f, r = w[0], w[1], w[2], w[3]
    jac = w[4:{4 + n}]
    drift(x, t, p, f)
    for i in range({n}):
        y[i] = x[i] + dt * f[i]  # explicit Euler guess
    for iteration in range(50):
        for i in range({n}):
            mid[i] = 0.5 * (x[i] + y[i])
        drift(mid, t + 0.5 * dt, p, f)
        jacobian(mid, t + 0.5 * dt, p, jac)
        size = 0.0
        for i in range({n}):
            r[i] = -(y[i] - x[i] - dt * f[i])
            size = max(size, abs(y[i]))
            for j in range({n}):
                jac[i, j] = (1.0 if i == j else 0.0) - 0.5 * dt * jac[i, j]
        solve(jac, r, {n})
        change = 0.0
        for i in range({n}):
            y[i] += r[i]
            change = max(change, abs(r[i]))
        stats[0] += 1.0
        if not math.isfinite(change):
            return 2
        if change <= 1e-12 * max(1.0, size):  # quadratic convergence: the error is now ~1e-24
            break
    else:
        return 2
    for i in range({n}):
        x[i] = y[i]
    return 0
'''


IMPLICIT_MIDPOINT = Integrator(
    name="implicit-midpoint",
    summary="implicit midpoint rule, order 2, symplectic for any Hamiltonian (Newton, symbolic Jacobian)",
    stochastic=False,
    applies=_applies,
    source=_source,
    work_rows=lambda system: 4 + len(system.state),
    stats=("newton_iterations",),
    needs=("drift", "jacobian"),
)
