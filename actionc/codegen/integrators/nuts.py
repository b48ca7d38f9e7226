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

The draw is one function over arrays, nuts_draw, shared by the scalar
kernel (below) and the indexed one (array_samplers.py); its vectors are
rows of `work`, so a draw allocates nothing.
"""

from actionc.codegen.integrators import warmup
from actionc.codegen.integrators.base import Integrator
from actionc.system import System

MAX_DEPTH = 10  # Stan's default: at most 2^10 − 1 leapfrog steps per draw
_VECTORS = (
    "q, r, gradient",  # the leapfrog's state
    "q_left, r_left, g_left",  # the trajectory's two ends (q, r, ∇U)
    "q_right, r_right, g_right",
    "draw, r_sum, draw_gradient",  # its draw, its momentum sum, ∇U at the draw
    "sub_draw, sub_sum, sub_gradient",  # the same of the sub-trajectory being built
)
ROWS = warmup.PROBE_ROWS + 3 * len(_VECTORS) + 2 * MAX_DEPTH  # … then the checkpoints' momenta and sums


def draw_source(model: str) -> str:
    """nuts_draw(x, <model>, dt, s, c, counts, work) -> (s, counts, the draw)."""
    first = warmup.PROBE_ROWS
    rows = []
    for k, names in enumerate(_VECTORS):
        row = first + 3 * k
        rows.append(f"    {names} = work[{row}], work[{row + 1}], work[{row + 2}]")
    checkpoints = first + 3 * len(_VECTORS)
    rows.append(
        f"    r_checkpoints, sum_checkpoints = work[{checkpoints}:{checkpoints + MAX_DEPTH}], "
        f"work[{checkpoints + MAX_DEPTH}:{checkpoints + 2 * MAX_DEPTH}]"
    )
    vectors = "\n".join(rows)
    return f'''
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
def turning_since(r_first, sum_first, r_last, sub_sum, inverse_mass):
    """The criterion of the leaves from a checkpoint (its momentum, and the
    sub-trajectory's momentum sum up to it) to the current leaf: their
    momentum sum is sub_sum − sum_first + r_first."""
    left, right = 0.0, 0.0
    for i in range(len(sub_sum)):
        rho = sub_sum[i] - sum_first[i] + r_first[i] - 0.5 * (r_first[i] + r_last[i])
        left += inverse_mass[i] * r_first[i] * rho
        right += inverse_mass[i] * r_last[i] * rho
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
def nuts_draw(x, {model}, dt, s, c, counts, work):
    """One NUTS draw from x (read, not written); in warm-up, one adaptation
    step of the control array c. Returns (stream, counters, the draw: a row of work)."""
    n = len(x)
    temperature = gibbs_constants(p)[0]
    if start_chain(c, dt, n) and c[0] > 0.0:  # the first warm-up draw
        s = restart_step(c, x, {model}, temperature, s, work)
    inverse_mass = vector(c, {warmup.INVERSE_MASS}, n)
{vectors}
    step = c[4]
    copy(q, x)
    u0, evaluations = start_potential(c, q, {model}, temperature, gradient)
    s = draw_momentum(r, inverse_mass, s)
    h0 = u0 + kinetic(r, inverse_mass)
    for end in (q_left, q_right, draw):
        copy(end, q)
    for end in (r_left, r_right, r_sum):
        copy(end, r)
    for end in (g_left, g_right, draw_gradient):
        copy(end, gradient)
    log_weight, draw_u, sub_u = 0.0, u0, 0.0
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
            u = leapfrog(q, r, gradient, direction * step, inverse_mass, {model}, temperature)
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
                for i in range(n):
                    sub_sum[i] += r[i]
            first, last = checkpoint_range(leaf)
            if leaf % 2 == 0:
                copy(r_checkpoints[last], r)
                copy(sum_checkpoints[last], sub_sum)
            else:
                for k in range(last, first - 1, -1):
                    if turning_since(r_checkpoints[k], sum_checkpoints[k], r, sub_sum, inverse_mass):
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
        for i in range(n):
            r_sum[i] += sub_sum[i]
        if turning(r_left, r_right, r_sum, inverse_mass):
            break
    keep(c, draw_u, draw_gradient)
    accept_stat = accept_sum / leaves
    sampling = c[3] >= c[0]
    if adapt(c, draw, accept_stat):  # a new metric: a new first step (as Stan)
        s = restart_step(c, draw, {model}, temperature, s, work)
    accepted, proposed, divergences, gradients, depths = counts
    if sampling:
        accepted += accept_stat
        proposed += 1.0
        if divergent:
            divergences += 1.0
            note_divergence(c, proposed, x)
        gradients += evaluations + leaves
        depths += depth
    return s, (accepted, proposed, divergences, gradients, depths), draw
'''


def _source(system: System) -> str:
    return warmup.scalar_source(len(system.state), draw_source("t, p"), "nuts_draw", ROWS)


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
