"""The implicit midpoint rule (Hairer, Lubich & Wanner, Geometric Numerical
Integration, §II.1, §VI.3): symplectic for every Hamiltonian, separable or
not, order 2. Each step solves y = x + h f((x + y)/2, t + h/2) by Newton's
method with the symbolic Jacobian of the drift."""

from actionc.codegen.integrators.base import Integrator, tuple_of
from actionc.system import Requirement, System


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
def advance(x, t, dt, p, s, c, counts):
    """Implicit midpoint: Newton on g(y) = y − x − h f((x + y)/2, t + h/2)."""
    half = 0.5 * dt
    matrix = np.empty(({n}, {n}))
    residual = np.empty({n})
    f = drift(x, t, p)
    y = {tuple_of("x[{k}] + dt * f[{k}]", n)}  # explicit Euler guess
    iterations = counts[0]
    for iteration in range(50):
        mid = {tuple_of("0.5 * (x[{k}] + y[{k}])", n)}
        f = drift(mid, t + half, p)
        jac = jacobian(mid, t + half, p)
        size = 0.0
        for i in range({n}):
            residual[i] = -(y[i] - x[i] - dt * f[i])
            size = max(size, abs(y[i]))
            for j in range({n}):
                matrix[i, j] = (1.0 if i == j else 0.0) - half * jac[i * {n} + j]
        solve(matrix, residual, {n})
        y = {tuple_of("y[{k}] + residual[{k}]", n)}
        change = 0.0
        for i in range({n}):
            change = max(change, abs(residual[i]))
        iterations += 1.0
        if not math.isfinite(change):
            return x, s, c, (iterations,), 2
        if change <= 1e-12 * max(1.0, size):  # quadratic convergence: the error is now ~1e-24
            return y, s, c, (iterations,), 0
    return x, s, c, (iterations,), 2
'''


IMPLICIT_MIDPOINT = Integrator(
    name="implicit-midpoint",
    summary="implicit midpoint rule, order 2, symplectic for any Hamiltonian (Newton, symbolic Jacobian)",
    stochastic=False,
    applies=_applies,
    source=_source,
    stats=("newton_iterations",),
    needs=("drift", "jacobian"),
    requires=(Requirement.JACOBIAN,),
)
