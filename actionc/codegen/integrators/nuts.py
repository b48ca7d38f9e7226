"""The no-U-turn sampler (Hoffman & Gelman, JMLR 15 (2014)) in the form Stan
and BlackJAX run: multinomial sampling of the trajectory's states
(Betancourt, "A Conceptual Introduction to HMC", arXiv:1701.02434, App. A)
and the generalized U-turn criterion with checkpoints, built iteratively
(Phan, Pradhan & Jankowiak, NumPyro, arXiv:1912.11554; BlackJAX's
`iterative_uturn_numpyro`), so that it is a loop in the kernel, not a
recursion.

One step is one draw of exp(−E/T): momenta r ~ N(0, M); the trajectory
doubles in a random direction until its ends turn back (ρ − (r₋ + r₊)/2
has a negative projection on either end's velocity M⁻¹r, ρ the sum of
its momenta), a sub-trajectory turns back inside (checked at every
sub-tree of it from the checkpoints), an energy error exceeds 1000
(divergent), or the tree reaches depth 10. Within a new sub-trajectory a
state is chosen with probability ∝ exp(−H) (uniform progressive
sampling); the sub-trajectory's choice replaces the draw with probability
min(1, W_new/W_old) (biased progressive sampling, favouring moves away
from the start). Warm-up as hmc (warmup.py). Needs: an energy model with a
temperature (System.gibbs, ∇E). Counters after warm-up: the sum of mean
acceptance statistics, draws, divergent trajectories, gradient
evaluations and tree depths.
"""

from actionc.codegen.integrators import warmup
from actionc.codegen.integrators.base import Integrator, tuple_of
from actionc.system import System

MAX_DEPTH = 10  # Stan's default: at most 2^10 − 1 leapfrog steps per draw


def _source(system: System) -> str:
    n = len(system.state)
    return (
        warmup.SOURCE
        + f'''

@jit_call
def turning(r_left, r_right, r_sum, inverse_mass):
    """The generalized U-turn criterion (as BlackJAX and NumPyro)."""
    left, right = 0.0, 0.0
    for i in range(len(r_sum)):
        rho = r_sum[i] - 0.5 * (r_left[i] + r_right[i])
        left += inverse_mass[i] * r_left[i] * rho
        right += inverse_mass[i] * r_right[i] * rho
    return left <= 0.0 or right <= 0.0


@jit_call
def checkpoint_range(leaf):
    """The checkpoints a leaf of a sub-tree is checked against: the number of
    set bits of leaf >> 1 is the last, minus the trailing ones of leaf."""
    last, rest = 0, leaf >> 1
    while rest > 0:
        last += rest & 1
        rest >>= 1
    trailing, rest = 0, leaf
    while rest & 1:
        trailing += 1
        rest >>= 1
    return last - trailing + 1, last


@jit_call
def copy(target, source):
    for i in range(len(source)):
        target[i] = source[i]


@jit
def advance(x, t, dt, p, s, c, counts):
    """One NUTS draw; in warm-up, one adaptation step."""
    temperature = gibbs_constants(p)[0]
    scalars, inverse_mass, mean, m2 = warmup_state(c, dt, {n})
    divergence = divergence_state(c, {n})
    cached = cached_state(c, {n})
    q, r, gradient = np.empty({n}), np.empty({n}), np.empty({n})
    for i in range({n}):
        q[i] = x[i]
    if scalars[0] > 0.0 and c[4] <= 0.0:  # the first warm-up draw
        s = restart_step(scalars, q, inverse_mass, t, p, temperature, s)
    step = scalars[4]
    u0, evaluations = start_potential(q, t, p, temperature, gradient, cached)
    s = draw_momentum(r, inverse_mass, s)
    h0 = u0 + kinetic(r, inverse_mass)
    # the trajectory's two ends (q, r, ∇U), its draw, its momentum sum, its log weight
    q_left, r_left, g_left = q.copy(), r.copy(), gradient.copy()
    q_right, r_right, g_right = q.copy(), r.copy(), gradient.copy()
    draw, r_sum, log_weight = q.copy(), r.copy(), 0.0
    draw_u, draw_gradient = u0, gradient.copy()  # U and ∇U at the draw, kept for the next one
    sub_draw, sub_sum, sub_u, sub_gradient = np.empty({n}), np.empty({n}), 0.0, np.empty({n})
    r_checkpoints, sum_checkpoints = np.empty(({MAX_DEPTH}, {n})), np.empty(({MAX_DEPTH}, {n}))
    accept_sum, leaves, depth = 0.0, 0, 0
    divergent = False
    while depth < {MAX_DEPTH}:
        v, s = uniform(s)
        direction = 1.0 if v < 0.5 else -1.0
        copy(q, q_right if direction > 0.0 else q_left)  # continue from that end
        copy(r, r_right if direction > 0.0 else r_left)
        copy(gradient, g_right if direction > 0.0 else g_left)
        depth += 1
        # the new sub-tree: 2^(depth-1) leapfrog steps from that end
        sub_weight = -math.inf
        sub_turning = False
        for leaf in range(1 << (depth - 1)):
            u = leapfrog(q, r, gradient, direction * step, inverse_mass, t, p, temperature)
            h = u + kinetic(r, inverse_mass)
            leaves += 1
            if not (h - h0 <= {warmup.DIVERGENCE!r}):  # NaN too
                divergent = True
                break
            accept_sum += min(1.0, math.exp(h0 - h))
            weight = h0 - h
            total = max(sub_weight, weight) + math.log1p(math.exp(-abs(sub_weight - weight)))
            v, s = uniform(s)
            if v < math.exp(weight - total):  # uniform progressive sampling
                copy(sub_draw, q)
                sub_u = u
                copy(sub_gradient, gradient)
            sub_weight = total
            if leaf == 0:
                copy(sub_sum, r)
            else:
                for i in range({n}):
                    sub_sum[i] += r[i]
            if leaf % 2 == 0:
                first, last = checkpoint_range(leaf)
                copy(r_checkpoints[last], r)
                copy(sum_checkpoints[last], sub_sum)
            else:
                first, last = checkpoint_range(leaf)
                for k in range(last, first - 1, -1):
                    inner = sub_sum - sum_checkpoints[k] + r_checkpoints[k]
                    if turning(r_checkpoints[k], r, inner, inverse_mass):
                        sub_turning = True
                        break
                if sub_turning:
                    break
        if divergent or sub_turning:
            break  # the sub-tree is not part of the trajectory
        copy(q_right if direction > 0.0 else q_left, q)  # the sub-tree's far end is the new end
        copy(r_right if direction > 0.0 else r_left, r)
        copy(g_right if direction > 0.0 else g_left, gradient)
        v, s = uniform(s)
        if v < math.exp(sub_weight - log_weight):  # biased progressive sampling
            copy(draw, sub_draw)
            draw_u = sub_u
            copy(draw_gradient, sub_gradient)
        log_weight = max(log_weight, sub_weight) + math.log1p(math.exp(-abs(log_weight - sub_weight)))
        for i in range({n}):
            r_sum[i] += sub_sum[i]
        if turning(r_left, r_right, r_sum, inverse_mass):
            break
    keep(cached, draw_u, draw_gradient)
    accept_stat = accept_sum / leaves
    sampling = scalars[3] >= scalars[0]
    if adapt(scalars, inverse_mass, mean, m2, draw, accept_stat, {n}):  # a new metric: a new first step (as Stan)
        s = restart_step(scalars, draw, inverse_mass, t, p, temperature, s)
    accepted, proposed, divergences, gradients, depths = counts
    if sampling:
        accepted += accept_stat
        proposed += 1.0
        if divergent:
            divergences += 1.0
            note_divergence(divergence, proposed, x)
        gradients += evaluations + leaves
        depths += depth
    counts = (accepted, proposed, divergences, gradients, depths)
    return {tuple_of("draw[{k}]", n)}, s, {warmup.control_tuple(n)}, counts, 0
'''
    )


NUTS = Integrator(
    name="nuts",
    summary="the no-U-turn sampler, multinomial, generalized U-turn, Stan's warm-up (Hoffman–Gelman 2014)",
    stochastic=True,
    applies=warmup.applies,
    source=_source,
    stats=("accepted", "proposed", "divergences", "gradients", "tree_depth"),
    control=lambda system: warmup.control_length(len(system.state)),
    options=((0, "warmup"), (1, "target_accept")),
    needs=("energy", "grad_energy", "gibbs_constants"),
    reports=warmup.reports,
)
