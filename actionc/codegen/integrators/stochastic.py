"""SDE integrators: Euler–Maruyama, Milstein, stochastic Heun, SRA1.
Kloeden & Platen, Numerical Solution of SDEs (1992), §10.2, §10.3, §11.1;
Rößler, SIAM J. Numer. Anal. 48 (2010) for SRA1.

The Wiener increments are dW_k = sqrt(dt) ξ_k with ξ_k from the particle's
stream, drawn in a fixed order, so a run is reproducible."""

import math

from actionc.codegen.integrators.base import Integrator, stochastic_only, tuple_of
from actionc.kinds import Calculus
from actionc.system import System


def _draws(m: int, name: str = "dw", indent: str = "    ") -> str:
    """dw0, dw1, … = sqrt(dt) ξ_k, drawn in order from the stream."""
    lines = [f"{indent}root = math.sqrt(dt)"]
    for k in range(m):
        lines.append(f"{indent}z, s = normal(s)\n{indent}{name}{k} = root * z")
    return "\n".join(lines) + "\n"


def _noise_sum(system: System, g: str, increments: str, i: int) -> str:
    """Σ_k g[i*m + k] dW_k over the noises that reach state i (structural zeros skipped)."""
    m = len(system.noises)
    terms = [f"{g}[{i * m + k}] * {increments.format(k=k)}" for k in range(m) if system.diffusion[i][k] != 0]
    return " + ".join(terms) or "0.0"


def _euler_maruyama(system: System) -> str:
    n, m = len(system.state), len(system.noises)
    if system.noise.diagonal:
        update = tuple_of("x[{k}] + f[{k}] * dt + g[{k}] * dw{k}", n)
        return f'''
@jit
def advance(x, t, dt, p, s, c, counts):
    """Euler–Maruyama (Itô), strong order 1/2, weak order 1; diagonal noise."""
    f = ito_drift(x, t, p)
    g = diffusion_diagonal(x, t, p)
{_draws(m)}    return {update}, s, c, counts, 0
'''
    update = "(" + ", ".join(f"x[{i}] + f[{i}] * dt + {_noise_sum(system, 'g', 'dw{k}', i)}" for i in range(n)) + ",)"
    return f'''
@jit
def advance(x, t, dt, p, s, c, counts):
    """Euler–Maruyama (Itô), strong order 1/2, weak order 1."""
    f = ito_drift(x, t, p)
    g = diffusion(x, t, p)
{_draws(m)}    return {update}, s, c, counts, 0
'''


def _milstein(system: System) -> str:
    n, m = len(system.state), len(system.noises)
    rows = []
    for i in range(n):
        terms = [f"x[{i}] + f[{i}] * dt", _noise_sum(system, "g", "dw{k}", i)]
        for j in range(m):
            for k in range(m):
                correction = f"(dw{j} * dw{k} - dt)" if j == k else f"dw{j} * dw{k}"
                terms.append(f"0.5 * lg[{i * m * m + j * m + k}] * {correction}")
        rows.append(" + ".join(terms))
    return f'''
@jit
def advance(x, t, dt, p, s, c, counts):
    """Milstein (Itô), strong order 1, for commutative noise:
    x += f dt + g dW + ½ Σ_jk (L^j g_k)(dW_j dW_k − δ_jk dt)."""
    f = ito_drift(x, t, p)
    g = diffusion(x, t, p)
    lg = milstein(x, t, p)
{_draws(m)}    return ({", ".join(rows)},), s, c, counts, 0
'''


def _heun(system: System) -> str:
    n, m = len(system.state), len(system.noises)
    predictor = (
        "(" + ", ".join(f"x[{i}] + f0[{i}] * dt + {_noise_sum(system, 'g0', 'dw{k}', i)}" for i in range(n)) + ",)"
    )
    corrector = (
        "("
        + ", ".join(
            f"x[{i}] + 0.5 * (f0[{i}] + f1[{i}]) * dt + 0.5 * ({_noise_sum(system, 'g0', 'dw{k}', i)}"
            f" + {_noise_sum(system, 'g1', 'dw{k}', i)})"
            for i in range(n)
        )
        + ",)"
    )
    return f'''
@jit
def advance(x, t, dt, p, s, c, counts):
    """Stochastic Heun (Stratonovich), strong order 1 for commutative noise:
    predictor y = x + f dt + g dW, then the trapezoidal corrector."""
    f0 = drift(x, t, p)
    g0 = diffusion(x, t, p)
{_draws(m)}    y = {predictor}
    f1 = drift(y, t + dt, p)
    g1 = diffusion(y, t + dt, p)
    return {corrector}, s, c, counts, 0
'''


def _sra1(system: System) -> str:
    n, m = len(system.state), len(system.noises)
    draws = ["    root = math.sqrt(dt)"]
    for k in range(m):
        draws.append(f"    z, s = normal(s)\n    dw{k} = root * z")
        draws.append(f"    z, s = normal(s)\n    chi{k} = 0.5 * (dw{k} + root * z / math.sqrt(3.0))")
    stage = (
        "("
        + ", ".join(
            f"x[{i}] + 0.75 * dt * f1[{i}] + 1.5 * ({_noise_sum(system, 'g_end', 'chi{k}', i)})" for i in range(n)
        )
        + ",)"
    )
    update = (
        "("
        + ", ".join(
            f"x[{i}] + dt * (f1[{i}] / 3.0 + 2.0 * f2[{i}] / 3.0)"
            f" + {_noise_sum(system, 'g_end', '(dw{k} - chi{k})', i)} + {_noise_sum(system, 'g_now', 'chi{k}', i)}"
            for i in range(n)
        )
        + ",)"
    )
    newline = "\n"
    return f'''
@jit
def advance(x, t, dt, p, s, c, counts):
    """SRA1 (Rößler 2010), strong order 1.5 for additive noise g(t).
    chi = I_(1,0)/dt = (dW + dZ/sqrt(3))/2, dZ ~ N(0, dt) independent of dW."""
{newline.join(draws)}
    g_now = diffusion(x, t, p)
    g_end = diffusion(x, t + dt, p)
    f1 = drift(x, t, p)
    f2 = drift({stage}, t + 0.75 * dt, p)
    return {update}, s, c, counts, 0
'''


def _milstein_applies(system: System) -> str | None:
    if not system.is_stochastic:
        return "it integrates SDEs; this model has no noise"
    if not system.noise.commutative:
        return "its noise is not commutative (L^j g_k ≠ L^k g_j), which Milstein without Lévy areas needs"
    return None


def _heun_applies(system: System) -> str | None:
    if not system.is_stochastic:
        return "it integrates SDEs; this model has no noise"
    if system.calculus is not Calculus.STRATONOVICH and not system.noise.additive:
        return "it converges to the Stratonovich solution; this model is Itô with state-dependent noise"
    return None


def _sra1_applies(system: System) -> str | None:
    if not system.is_stochastic:
        return "it integrates SDEs; this model has no noise"
    if not system.noise.additive:
        return "it needs additive noise (a diffusion that does not depend on the state)"
    return None


EULER_MARUYAMA = Integrator(
    name="euler-maruyama",
    summary="Euler–Maruyama (Itô), strong order 1/2, weak order 1",
    stochastic=True,
    applies=stochastic_only,
    source=_euler_maruyama,
    needs=("ito_drift", "diffusion"),
)

MILSTEIN = Integrator(
    name="milstein",
    summary="Milstein (Itô), strong order 1, commutative (incl. diagonal and scalar) noise",
    stochastic=True,
    applies=_milstein_applies,
    source=_milstein,
    needs=("ito_drift", "diffusion", "milstein"),
)

HEUN = Integrator(
    name="heun",
    summary="stochastic Heun (Stratonovich), strong order 1 for commutative noise",
    stochastic=True,
    applies=_heun_applies,
    source=_heun,
    needs=("drift", "diffusion"),
)

SRA1 = Integrator(
    name="sra1",
    summary="Rößler's SRA1, strong order 1.5 for additive noise",
    stochastic=True,
    applies=_sra1_applies,
    source=_sra1,
    needs=("drift", "diffusion"),
)


SNR = 0.16  # the corrector's signal-to-noise ratio (Song et al. 2021, App. G)


def _predictor_corrector(system: System) -> str:
    n, m = len(system.state), len(system.noises)
    update = "(" + ", ".join(f"x[{i}] + f[{i}] * dt + {_noise_sum(system, 'g', 'dw{k}', i)}" for i in range(n)) + ",)"
    corrected = tuple_of("y[{k}] + step * sy[{k}] + spread * z{k}", n)
    draws = "\n".join(f"    z{k}, s = normal(s)" for k in range(n))
    variances = ", ".join(
        "(" + " + ".join(f"g[{i * m + k}] * g[{i * m + k}]" for k in range(m)) + ")" for i in range(n)
    )
    return f'''
@jit
def advance(x, t, dt, p, s, c, counts):
    """Predictor–corrector (Song et al., ICLR 2021, Alg. 2 and 4): an
    Euler–Maruyama step of the reverse-time SDE, then one Langevin step
    y + ε ∇log p + sqrt(2ε) z at the new time, ε = 2 (SNR sqrt(n) / ‖∇log p‖)²
    but at most the predictor's noise variance min_i (g gᵀ)_ii dt. (Song
    et al. use ‖z‖ of the same z, averaged over a batch of images; for one
    low-dimensional particle that correlates step and noise and biases it.)"""
    f = ito_drift(x, t, p)
    g = diffusion(x, t, p)
{_draws(m)}    y = {update}
    sy = score(y, t + dt, p)
{draws}
    signal = math.sqrt({" + ".join(f"sy[{k}] * sy[{k}]" for k in range(n))})
    # per particle, ‖∇log p‖ → 0 at a mode would make ε explode: no larger
    # than the predictor's own noise variance g² dt
    cap = dt * min({variances}{", 1e300" if n == 1 else ""})
    step = min(2.0 * ({SNR} * {math.sqrt(n)!r} / signal) ** 2, cap) if signal > 0.0 else cap
    spread = math.sqrt(2.0 * step)
    return {corrected}, s, c, counts, 0
'''


def _has_score(system: System) -> str | None:
    if not system.is_stochastic or system.score is None:
        return "it samples a reverse-time SDE with a known score (data or a density); this model has none"
    return None


PREDICTOR_CORRECTOR = Integrator(
    name="pc",
    summary="predictor–corrector: reverse-diffusion Euler–Maruyama + one Langevin corrector step "
    "(SNR 0.16, step at most g² dt)",
    stochastic=True,
    applies=_has_score,
    source=_predictor_corrector,
    needs=("ito_drift", "diffusion", "score"),
)
