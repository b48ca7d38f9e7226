"""SDE integrators: Euler–Maruyama, Milstein, stochastic Heun, SRA1.
Kloeden & Platen, Numerical Solution of SDEs (1992), §10.2, §10.3, §11.1;
Rößler, SIAM J. Numer. Anal. 48 (2010) for SRA1.

The Wiener increments are dW_k = sqrt(dt) ξ_k with ξ_k from the particle's
stream, drawn in a fixed order, so a run is reproducible."""

import sympy

from actionc.codegen.integrators.base import Integrator, stochastic_only
from actionc.system import System


def is_diagonal_noise(system: System) -> bool:
    """One noise per state variable, and nothing off the diagonal."""
    g = system.diffusion
    n, m = len(system.state), len(system.noises)
    return n == m and all(g[i][k] == 0 for i in range(n) for k in range(m) if i != k)


def is_additive(system: System) -> bool:
    return all(not (e.free_symbols & set(system.state)) for row in system.diffusion for e in row)


def milstein_terms(system: System) -> list[list[list[sympy.Expr]]]:
    """L^j g_ik = Σ_l g_lj ∂_l g_ik, for i < n, j, k < m."""
    g, x = system.diffusion, system.state
    n, m = len(x), len(system.noises)
    return [
        [
            [sum((g[l][j] * sympy.diff(g[i][k], x[l]) for l in range(n)), sympy.Integer(0)) for k in range(m)]
            for j in range(m)
        ]
        for i in range(n)
    ]


def is_commutative(system: System) -> bool:
    """L^j g^k = L^k g^j for all noises j, k (Kloeden & Platen §10.3)."""
    terms = milstein_terms(system)
    m = len(system.noises)
    return all(
        sympy.simplify(terms[i][j][k] - terms[i][k][j]) == 0
        for i in range(len(system.state))
        for j in range(m)
        for k in range(j + 1, m)
    )


def _noise_increments(m: int, indent: str = "    ") -> str:
    return f"{indent}root = math.sqrt(dt)\n{indent}for k in range({m}):\n{indent}    dw[k] = root * normal(s)\n"


def _euler_maruyama(system: System) -> str:
    n, m = len(system.state), len(system.noises)
    if is_diagonal_noise(system):
        return f'''
@jit
def advance(x, t, dt, p, s, w, c, stats):
    """Euler–Maruyama (Itô), strong order 1/2, weak order 1; diagonal noise."""
    f, g, dw = w[0], w[1], w[2]
    ito_drift(x, t, p, f)
    diffusion_diagonal(x, t, p, g)
{_noise_increments(m)}    for i in range({n}):
        x[i] += f[i] * dt + g[i] * dw[i]
    return 0
'''
    return f'''
@jit
def advance(x, t, dt, p, s, w, c, stats):
    """Euler–Maruyama (Itô), strong order 1/2, weak order 1."""
    f, dw = w[0], w[1]
    g = w[2:{2 + n}]
    ito_drift(x, t, p, f)
    diffusion(x, t, p, g)
{_noise_increments(m)}    for i in range({n}):
        total = f[i] * dt
        for k in range({m}):
            total += g[i, k] * dw[k]
        x[i] += total
    return 0
'''


def _milstein(system: System) -> str:
    n, m = len(system.state), len(system.noises)
    return f'''
@jit
def advance(x, t, dt, p, s, w, c, stats):
    """Milstein (Itô), strong order 1, for commutative noise:
    x += f dt + g dW + ½ Σ_jk (L^j g_k)(dW_j dW_k − δ_jk dt)."""
    f, dw = w[0], w[1]
    g = w[2:{2 + n}]
    lg = w[{2 + n}:{2 + 2 * n}]
    ito_drift(x, t, p, f)
    diffusion(x, t, p, g)
    milstein(x, t, p, lg)
{_noise_increments(m)}    for i in range({n}):
        total = f[i] * dt
        for k in range({m}):
            total += g[i, k] * dw[k]
            for j in range({m}):
                correction = dw[j] * dw[k] - (dt if j == k else 0.0)
                total += 0.5 * lg[i, j * {m} + k] * correction
        x[i] += total
    return 0
'''


def _heun(system: System) -> str:
    n, m = len(system.state), len(system.noises)
    return f'''
@jit
def advance(x, t, dt, p, s, w, c, stats):
    """Stochastic Heun (Stratonovich), strong order 1 for commutative noise:
    predictor x~ = x + f dt + g dW, corrector with the averages."""
    f0, f1, y, dw = w[0], w[1], w[2], w[3]
    g0 = w[4:{4 + n}]
    g1 = w[{4 + n}:{4 + 2 * n}]
    drift(x, t, p, f0)
    diffusion(x, t, p, g0)
{_noise_increments(m)}    for i in range({n}):
        total = f0[i] * dt
        for k in range({m}):
            total += g0[i, k] * dw[k]
        y[i] = x[i] + total
    drift(y, t + dt, p, f1)
    diffusion(y, t + dt, p, g1)
    for i in range({n}):
        total = 0.5 * (f0[i] + f1[i]) * dt
        for k in range({m}):
            total += 0.5 * (g0[i, k] + g1[i, k]) * dw[k]
        x[i] += total
    return 0
'''


def _sra1(system: System) -> str:
    n, m = len(system.state), len(system.noises)
    return f'''
@jit
def advance(x, t, dt, p, s, w, c, stats):
    """SRA1 (Rößler 2010), strong order 1.5 for additive noise g(t).
    I10/dt = (dW + dZ/sqrt(3))/2 with dZ ~ N(0, dt) independent of dW."""
    f1, f2, h2, dw, chi = w[0], w[1], w[2], w[3], w[4]
    g_now = w[5:{5 + n}]
    g_end = w[{5 + n}:{5 + 2 * n}]
    root = math.sqrt(dt)
    for k in range({m}):
        dw[k] = root * normal(s)
        chi[k] = 0.5 * (dw[k] + root * normal(s) / math.sqrt(3.0))
    diffusion(x, t, p, g_now)
    diffusion(x, t + dt, p, g_end)
    drift(x, t, p, f1)
    for i in range({n}):
        total = 0.75 * dt * f1[i]
        for k in range({m}):
            total += 1.5 * g_end[i, k] * chi[k]
        h2[i] = x[i] + total
    drift(h2, t + 0.75 * dt, p, f2)
    for i in range({n}):
        total = dt * (f1[i] / 3.0 + 2.0 * f2[i] / 3.0)
        for k in range({m}):
            total += g_end[i, k] * (dw[k] - chi[k]) + g_now[i, k] * chi[k]
        x[i] += total
    return 0
'''


def _milstein_applies(system: System) -> str | None:
    if not system.is_stochastic:
        return "it integrates SDEs; this model has no noise"
    if not is_commutative(system):
        return "its noise is not commutative (L^j g_k ≠ L^k g_j), which Milstein without Lévy areas needs"
    return None


def _heun_applies(system: System) -> str | None:
    if not system.is_stochastic:
        return "it integrates SDEs; this model has no noise"
    if system.calculus != "stratonovich" and not is_additive(system):
        return "it converges to the Stratonovich solution; this model is Itô with state-dependent noise"
    return None


def _sra1_applies(system: System) -> str | None:
    if not system.is_stochastic:
        return "it integrates SDEs; this model has no noise"
    if not is_additive(system):
        return "it needs additive noise (a diffusion that does not depend on the state)"
    return None


def _width_rows(rows: int, per_n: int):
    return lambda system: rows + per_n * len(system.state)


EULER_MARUYAMA = Integrator(
    name="euler-maruyama",
    summary="Euler–Maruyama (Itô), strong order 1/2, weak order 1",
    stochastic=True,
    applies=stochastic_only,
    source=_euler_maruyama,
    work_rows=_width_rows(3, 1),
    needs=("ito_drift", "diffusion"),
)

MILSTEIN = Integrator(
    name="milstein",
    summary="Milstein (Itô), strong order 1, commutative (incl. diagonal and scalar) noise",
    stochastic=True,
    applies=_milstein_applies,
    source=_milstein,
    work_rows=_width_rows(2, 2),
    needs=("ito_drift", "diffusion", "milstein"),
)

HEUN = Integrator(
    name="heun",
    summary="stochastic Heun (Stratonovich), strong order 1 for commutative noise",
    stochastic=True,
    applies=_heun_applies,
    source=_heun,
    work_rows=_width_rows(4, 2),
    needs=("drift", "diffusion"),
)

SRA1 = Integrator(
    name="sra1",
    summary="Rößler's SRA1, strong order 1.5 for additive noise",
    stochastic=True,
    applies=_sra1_applies,
    source=_sra1,
    work_rows=_width_rows(5, 2),
    needs=("drift", "diffusion"),
)
