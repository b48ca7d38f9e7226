"""Hamiltonian Monte Carlo with a fixed trajectory length (Duane, Kennedy,
Pendleton & Roweth, Phys. Lett. B 195 (1987); Neal, "MCMC using
Hamiltonian dynamics", Handbook of MCMC (2011), §5.3.2).

One step is one draw of exp(−E/T): momenta r ~ N(0, M), ceil(L/ε) leapfrog
steps of H = E(q)/T + ½ rᵀM⁻¹r, then accept the end point with probability
min(1, exp(H₀ − H₁)). The leapfrog map is symplectic and reversible, so
the draw is exact whatever ε; the energy error only costs acceptance.
Every particle is an independent chain, warmed up by itself (warmup.py:
dual averaging of ε, a diagonal M from Stan's windows); `dt` is the first
step size. Needs: an energy model with a temperature (System.gibbs, ∇E).
Counters: the sum of acceptance probabilities, draws, divergent
trajectories (energy error > 1000) and gradient evaluations, all after
warm-up.

The draw is one function over arrays, hmc_draw, shared by the scalar
kernel (below) and the indexed one (array_samplers.py).
"""

from actionc.codegen.integrators import warmup
from actionc.codegen.integrators.base import Integrator
from actionc.system import System

MAX_STEPS = 1024  # leapfrog steps per trajectory, as NUTS's tree depth 10
ROWS = warmup.PROBE_ROWS + 4  # scratch rows of `work`: the heuristic's, then q, r, ∇U, ∇U at the start


def draw_source(model: str) -> str:
    """hmc_draw(x, <model>, dt, s, c, counts, work) -> (s, counts, the draw)."""
    first = warmup.PROBE_ROWS
    return f'''
@jit_call
def hmc_draw(x, {model}, dt, s, c, counts, work):
    """One HMC draw from x (read, not written): fresh momenta, a leapfrog
    trajectory of length c[2], a Metropolis test on H; in warm-up, one
    adaptation step of the control array c. Returns (stream, counters,
    the draw: x itself or a row of work)."""
    n = len(x)
    temperature = gibbs_constants(p)[0]
    if start_chain(c, dt, n) and c[0] > 0.0:  # the first warm-up draw
        s = restart_step(c, x, {model}, temperature, s, work)
    inverse_mass = vector(c, {warmup.INVERSE_MASS}, n)
    q, r, gradient, gradient0 = work[{first}], work[{first + 1}], work[{first + 2}], work[{first + 3}]
    copy(q, x)
    step = c[4]
    u0, evaluations = start_potential(c, q, {model}, temperature, gradient)
    copy(gradient0, gradient)
    s = draw_momentum(r, inverse_mass, s)
    h0 = u0 + kinetic(r, inverse_mass)
    n_steps = min({MAX_STEPS}, max(1, int(math.ceil(c[2] / step))))
    divergent = False
    h1, u1 = h0, u0
    for k in range(n_steps):
        evaluations += 1.0
        u1 = leapfrog(q, r, gradient, step, inverse_mass, {model}, temperature)
        h1 = u1 + kinetic(r, inverse_mass)
        if not (h1 - h0 <= {warmup.DIVERGENCE!r}):  # NaN too
            divergent = True
            break
    accept_stat = 0.0 if divergent else min(1.0, math.exp(h0 - h1))
    v, s = uniform(s)
    draw = q
    if v >= accept_stat:
        draw = x
        keep(c, u0, gradient0)
    else:
        keep(c, u1, gradient)
    sampling = c[3] >= c[0]
    if adapt(c, draw, accept_stat):  # a new metric: a new first step (as Stan)
        s = restart_step(c, draw, {model}, temperature, s, work)
    accepted, proposed, divergences, gradients = counts
    if sampling:
        accepted += accept_stat
        proposed += 1.0
        if divergent:
            divergences += 1.0
            note_divergence(c, proposed, x)
        gradients += evaluations
    return s, (accepted, proposed, divergences, gradients), draw
'''


def _source(system: System) -> str:
    return warmup.scalar_source(len(system.state), draw_source("t, p"), "hmc_draw", ROWS)


HMC = Integrator(
    name="hmc",
    summary="Hamiltonian Monte Carlo, fixed trajectory length, Stan's warm-up (Neal 2011)",
    stochastic=True,
    applies=warmup.applies,
    source=_source,
    stats=("accepted", "proposed", "divergences", "gradients"),
    control=lambda system: warmup.control_length(len(system.state)),
    options=((0, "warmup"), (1, "target_accept"), (2, "trajectory_length")),
    needs=("energy", "grad_energy", "gibbs_constants"),
    reports=warmup.reports,
)
