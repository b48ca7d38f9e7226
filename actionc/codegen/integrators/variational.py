"""Variational integrators (Marsden & West, Acta Numerica 2001, §1.3, §3.2):
the discrete Euler–Lagrange equations of the midpoint or trapezoidal
discrete Lagrangian (actionc.derive.variational), as the map

    solve  p_k = −D1 L_d(q_k, q_{k+1}) − f⁻   for q_{k+1}  (Newton, symbolic Jacobian),
    then   p_{k+1} = D2 L_d(q_k, q_{k+1}) + f⁺.

Order 2 for both rules; symplectic for every regular Lagrangian, separable
or not, and the Noether momentum of each symmetry of L is kept to
round-off. The discrete momentum p is the method's state and persists in
the control slots; the saved velocity is the one whose continuous momentum
∂L/∂q' is p (so ∂L/∂q'(q, q') of a saved state is the discrete momentum).
The first step starts from p = ∂L/∂q'(q_0, q'_0).
"""

from __future__ import annotations

from actionc.codegen import printer
from actionc.codegen.integrators.base import Integrator, kernel_names, tuple_of
from actionc.system import Requirement, System


def _applies(system: System) -> str | None:
    if system.lagrangian is None:
        return "it discretizes a Lagrangian; this model has none"
    if system.is_stochastic:
        return "it integrates ODEs; this model has noise"
    return None


def _functions(system: System) -> str:
    step = system.discrete  # lower.equip computed it for this integrator's rule
    names = kernel_names(system)
    momentum, hessian, jacobian = step.momentum, step.momentum_jacobian, step.start_jacobian
    names_step = {**names, step.step: "dt"}
    names_step.update({a: f"x[{i}]" for i, a in enumerate(step.start)})
    names_step.update({b: f"y[{i}]" for i, b in enumerate(step.end)})
    step_args = "x, y, t, dt, p"
    return "\n\n".join(
        [
            printer.function("vi_momentum", "x, t, p", momentum, names, "∂L/∂q'(x, t).", "jit_call"),
            printer.function("vi_momentum_jacobian", "x, t, p", hessian, names, "∂²L/∂q'_i∂q'_j.", "jit_call"),
            printer.function(
                "vi_start_momentum", step_args, step.start_momentum, names_step, "p_k = −D1 L_d − f⁻.", "jit_call"
            ),
            printer.function(
                "vi_start_jacobian", step_args, jacobian, names_step, "∂p_k/∂q_{k+1} at [i*n + j].", "jit_call"
            ),
            printer.function(
                "vi_end_momentum", step_args, step.end_momentum, names_step, "p_{k+1} = D2 L_d + f⁺.", "jit_call"
            ),
        ]
    )


def _newton(unknown: str, target: str, value: str, jacobian: str, n: int, indent: str) -> str:
    """Newton's method on value(unknown) = target, updating the tuple
    `unknown`; leaves `converged` set. Stops once a step is below 1e-12 of
    the size: with quadratic convergence the error is then ~1e-24."""
    lines = f"""
converged = False
for iteration in range(50):
    value = {value}
    jac = {jacobian}
    size = 0.0
    for i in range({n}):
        residual[i] = {target}[i] - value[i]
        size = max(size, abs({unknown}[i]))
        for j in range({n}):
            matrix[i, j] = jac[i * {n} + j]
    solve(matrix, residual, {n})
    {unknown} = {tuple_of(unknown + "[{k}] + residual[{k}]", n)}
    change = 0.0
    for i in range({n}):
        change = max(change, abs(residual[i]))
    iterations += 1.0
    if not math.isfinite(change):
        break
    if change <= 1e-12 * max(1.0, size):
        converged = True
        break
if not converged:
    return x, s, c, (iterations,), 2
"""
    return "\n".join(indent + line if line else line for line in lines.strip("\n").splitlines())


def _source(rule: str):
    def source(system: System) -> str:
        n = len(system.discrete.start)  # the state is (q, q'): lower builds lagrangian Systems so
        start = tuple_of("c[{k}]", n)
        return f'''
{_functions(system)}


@jit
def advance(x, t, dt, p, s, c, counts):
    """Variational integrator ({rule} rule): Newton for q_{{k+1}}, then p_{{k+1}}
    and the velocity with that momentum. c = (p_0, …, p_{{n-1}}, started)."""
    matrix = np.empty(({n}, {n}))
    residual = np.empty({n})
    iterations = counts[0]
    momentum = vi_momentum(x, t, p) if c[{n}] == 0.0 else {start}
    y = {tuple_of("x[{k}] + dt * x[{n} + {k}]".replace("{n}", str(n)), n)}  # explicit Euler guess
{_newton("y", "momentum", "vi_start_momentum(x, y, t, dt, p)", "vi_start_jacobian(x, y, t, dt, p)", n, "    ")}
    momentum = vi_end_momentum(x, y, t, dt, p)
    v = {tuple_of("(y[{k}] - x[{k}]) / dt", n)}  # the discrete velocity: exact for a constant mass matrix
{
            _newton(
                "v",
                "momentum",
                "vi_momentum(y + v, t + dt, p)",
                "vi_momentum_jacobian(y + v, t + dt, p)",
                n,
                "    ",
            )
        }
    return y + v, s, momentum + (1.0,), (iterations,), 0
'''

    return source


def _variational(name: str, rule: Requirement, summary: str) -> Integrator:
    return Integrator(
        name=name,
        summary=summary,
        stochastic=False,
        applies=_applies,
        source=_source(rule.value),
        requires=(rule,),
        stats=("newton_iterations",),
        control=lambda system: len(system.discrete.start) + 1,  # the discrete momentum, and "started"
    )


VARIATIONAL = _variational(
    "variational",
    Requirement.MIDPOINT_STEP,
    "variational integrator, midpoint discrete Lagrangian, order 2, symplectic, "
    "momentum-conserving (Newton, symbolic Jacobian)",
)
VARIATIONAL_TRAPEZOID = _variational(
    "variational-trapezoid",
    Requirement.TRAPEZOID_STEP,
    "variational integrator, trapezoidal discrete Lagrangian (Störmer–Verlet for L = T − V), "
    "order 2, symplectic, momentum-conserving",
)
