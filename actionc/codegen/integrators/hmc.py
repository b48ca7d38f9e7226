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
"""

from actionc.codegen.integrators import warmup
from actionc.codegen.integrators.base import Integrator, tuple_of
from actionc.system import System

MAX_STEPS = 1024  # leapfrog steps per trajectory, as NUTS's tree depth 10


def _source(system: System) -> str:
    n = len(system.state)
    return (
        warmup.SOURCE
        + f'''

@jit
def advance(x, t, dt, p, s, c, counts):
    """One HMC draw: fresh momenta, a leapfrog trajectory of length c[2],
    a Metropolis test on H; in warm-up, one adaptation step."""
    temperature = gibbs_constants(p)[0]
    scalars, inverse_mass, mean, m2 = warmup_state(c, dt, {n})
    divergence = divergence_state(c, {n})
    cached = cached_state(c, {n})
    q0, q, r, gradient = np.empty({n}), np.empty({n}), np.empty({n}), np.empty({n})
    for i in range({n}):
        q0[i] = x[i]
        q[i] = x[i]
    if scalars[0] > 0.0 and c[4] <= 0.0:  # the first warm-up draw
        s = restart_step(scalars, q, inverse_mass, t, p, temperature, s)
    step = scalars[4]
    u0, evaluations = start_potential(q, t, p, temperature, gradient, cached)
    gradient0 = gradient.copy()
    s = draw_momentum(r, inverse_mass, s)
    h0 = u0 + kinetic(r, inverse_mass)
    n_steps = min({MAX_STEPS}, max(1, int(math.ceil(scalars[2] / step))))
    divergent = False
    h1, u1 = h0, u0
    for k in range(n_steps):
        evaluations += 1.0
        u1 = leapfrog(q, r, gradient, step, inverse_mass, t, p, temperature)
        h1 = u1 + kinetic(r, inverse_mass)
        if not (h1 - h0 <= {warmup.DIVERGENCE!r}):  # NaN too
            divergent = True
            break
    accept_stat = 0.0 if divergent else min(1.0, math.exp(h0 - h1))
    v, s = uniform(s)
    if v >= accept_stat:
        for i in range({n}):
            q[i] = q0[i]
        keep(cached, u0, gradient0)
    else:
        keep(cached, u1, gradient)
    sampling = scalars[3] >= scalars[0]
    if adapt(scalars, inverse_mass, mean, m2, q, accept_stat, {n}):  # a new metric: a new first step (as Stan)
        s = restart_step(scalars, q, inverse_mass, t, p, temperature, s)
    accepted, proposed, divergences, gradients = counts
    if sampling:
        accepted += accept_stat
        proposed += 1.0
        if divergent:
            divergences += 1.0
            note_divergence(divergence, proposed, x)
        gradients += evaluations
    return {tuple_of("q[{k}]", n)}, s, {warmup.control_tuple(n)}, (accepted, proposed, divergences, gradients), 0
'''
    )


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
