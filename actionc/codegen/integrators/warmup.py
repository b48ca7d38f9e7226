"""Warm-up of the Hamiltonian samplers (hmc, nuts), as kernel source: Stan's
adaptation, per chain, in the chain's control array.

- Step size by dual averaging (Hoffman & Gelman, JMLR 15 (2014), Alg. 5;
  γ = 0.05, t0 = 10, κ = 0.75, μ = log 10ε), driving the mean acceptance
  statistic to a target δ (default 0.8); after warm-up ε = exp(log ε̄).
- A diagonal mass matrix M from the variances of the draws in windows of
  25, 50, 100, … draws between an initial buffer of 75 and a final buffer
  of 50 (Stan Reference Manual, "HMC algorithm parameters": the windows
  are scaled to 15% / 75% / 10% of a warm-up shorter than 150), with
  Stan's shrinkage M⁻¹ = (k/(k+5)) var + 10⁻³ (5/(k+5)); dual averaging
  restarts after each window.
- A first step size by Stan's heuristic (Hoffman & Gelman 2014, Alg. 4, as
  Stan's base_hmc::init_stepsize), from dt at the first draw and from the
  current step after each new metric: double or halve ε until one leapfrog
  step crosses an acceptance probability of 0.8.

The chain's first divergent transition after warm-up is noted too: its
draw (1-based; 0: none yet) and the state its trajectory started from.
And each draw leaves U and ∇U at the state it chose, so that the next draw
starts without evaluating them again.

The same source serves scalar and indexed models: it works on arrays (a
scalar kernel copies its control tuple into one), and `model` names the
arguments of the model functions ("t, p", or "t, p, data" for arrays).
The kernel supplies potential(q, <model>, temperature, gradient): U = E/T,
∇U into gradient. The control array c of a chain, n the state's length:
    0 warm-up draws N (run option `warmup`)     1 target acceptance δ (`target_accept`)
    2 the sampler's own option (hmc: trajectory length)
    3 draws done   4 step size ε (0: not yet started: take dt)
    5 log ε̄   6 H̄   7 μ   8 dual-averaging iterations   9 draws in the window
    10 the first divergent draw   11 1 once U and ∇U at the chain's state are kept   12 that U
    then n values each: M⁻¹, the window's Welford mean, its M2, the state the
    first divergent trajectory started from, ∇U kept.
"""

from actionc.codegen.integrators.base import tuple_of

SCALARS = 13  # slots before the vectors
VECTORS = 5  # vectors of the state's length
FIRST_DIVERGENT, KEPT, KEPT_U = 10, 11, 12
INVERSE_MASS, MEAN, M2, DIVERGENCE_FROM, KEPT_GRADIENT = range(VECTORS)
PROBE_ROWS = 3  # scratch rows of Stan's step-size heuristic, the first rows of `work`

DIVERGENCE = 1000.0  # an energy error above this ends a trajectory as divergent (Stan's threshold)


def source(model: str) -> str:
    """The adaptation's functions, calling the model with `model`'s arguments."""
    return f'''
@jit_call
def window_ends_at(draw, warmup):
    """Whether Stan's metric window ends at warm-up draw `draw` (0-based),
    and whether the draw is inside a window."""
    start, term, size = 75, 50, 25
    if start + term + size > warmup:
        start, term = int(0.15 * warmup), int(0.1 * warmup)
        size = warmup - start - term
    last = warmup - term - 1
    inside = start <= draw <= last and warmup >= 20
    end = start + size - 1
    while inside:
        if draw == end:
            return True, True
        if end >= last or end > draw:
            return False, True
        size *= 2
        end = end + size
        if end != last and end + 2 * size > last:
            end = last
    return False, inside


@jit_call
def vector(c, k, n):
    """The k-th vector of the control array (a view)."""
    return c[{SCALARS} + k * n : {SCALARS} + (k + 1) * n]


@jit_call
def start_chain(c, dt, n):
    """At a chain's first draw (step size 0): ε = dt, μ = log 10ε, M = 1.
    Returns whether this is that draw."""
    if c[4] > 0.0:
        return False
    c[4] = dt
    c[7] = math.log(10.0 * dt)
    inverse_mass = vector(c, {INVERSE_MASS}, n)
    for i in range(n):
        inverse_mass[i] = 1.0
    return True


@jit_call
def note_divergence(c, draw, x):
    """Keep the chain's first divergent draw (1-based) and where its trajectory started."""
    if c[{FIRST_DIVERGENT}] == 0.0:
        c[{FIRST_DIVERGENT}] = draw
        start = vector(c, {DIVERGENCE_FROM}, len(x))
        for i in range(len(x)):
            start[i] = x[i]


@jit_call
def start_potential(c, q, {model}, temperature, gradient):
    """U at the chain's state q, ∇U written into gradient: as the last draw
    kept them, or evaluated. Returns (U, gradient evaluations made)."""
    if c[{KEPT}] != 0.0:
        kept = vector(c, {KEPT_GRADIENT}, len(q))
        for i in range(len(q)):
            gradient[i] = kept[i]
        return c[{KEPT_U}], 0.0
    return potential(q, {model}, temperature, gradient), 1.0


@jit_call
def keep(c, u, gradient):
    """Keep U and ∇U at the state a draw chose, for the next draw."""
    c[{KEPT}], c[{KEPT_U}] = 1.0, u
    kept = vector(c, {KEPT_GRADIENT}, len(gradient))
    for i in range(len(gradient)):
        kept[i] = gradient[i]


@jit_call
def initial_step(q, step, inverse_mass, {model}, temperature, s, work):
    """Stan's heuristic: the log acceptance of one leapfrog step of ε from
    q (fresh momenta each try) sets a direction; ε doubles (or halves)
    until it crosses log 0.8. Scratch: work's first {PROBE_ROWS} rows. Returns (ε, stream)."""
    n = len(q)
    position, r, gradient = work[0], work[1], work[2]
    direction = 0
    while 1e-300 < step < 1e7:
        for i in range(n):
            position[i] = q[i]
        u0 = potential(position, {model}, temperature, gradient)
        s = draw_momentum(r, inverse_mass, s)
        h0 = u0 + kinetic(r, inverse_mass)
        u1 = leapfrog(position, r, gradient, step, inverse_mass, {model}, temperature)
        delta = h0 - (u1 + kinetic(r, inverse_mass))
        if not delta == delta:  # NaN: as an infinite energy error
            delta = -math.inf
        if direction == 0:
            direction = 1 if delta > math.log(0.8) else -1
            continue
        if (direction == 1 and not delta > math.log(0.8)) or (direction == -1 and not delta < math.log(0.8)):
            break
        step = 2.0 * step if direction == 1 else 0.5 * step
    return step, s


@jit_call
def restart_step(c, q, {model}, temperature, s, work):
    """A new first step size by the heuristic, and dual averaging's μ = log 10ε."""
    c[4], s = initial_step(q, c[4], vector(c, {INVERSE_MASS}, len(q)), {model}, temperature, s, work)
    c[7] = math.log(10.0 * c[4])
    return s


@jit_call
def adapt(c, q, accept_stat):
    """After a warm-up draw q with mean acceptance statistic accept_stat:
    one dual-averaging step, one Welford step, and a new metric at a
    window's end (then returns True). Does nothing after warm-up."""
    n = len(q)
    draw, warmup = int(c[3]), int(c[0])
    if draw >= warmup:
        return False
    c[3] = draw + 1
    iteration = c[8] + 1.0
    c[8] = iteration
    weight = 1.0 / (iteration + 10.0)
    c[6] = (1.0 - weight) * c[6] + weight * (c[1] - accept_stat)
    log_step = c[7] - math.sqrt(iteration) / 0.05 * c[6]
    eta = iteration**-0.75
    c[5] = eta * log_step + (1.0 - eta) * c[5]
    c[4] = math.exp(log_step)
    ends, inside = window_ends_at(draw, warmup)
    inverse_mass, mean, m2 = vector(c, {INVERSE_MASS}, n), vector(c, {MEAN}, n), vector(c, {M2}, n)
    if inside:
        k = c[9] + 1.0
        c[9] = k
        for i in range(n):
            delta = q[i] - mean[i]
            mean[i] += delta / k
            m2[i] += delta * (q[i] - mean[i])
    if ends:
        k = c[9]
        for i in range(n):
            variance = m2[i] / (k - 1.0) if k > 1.0 else 1.0
            inverse_mass[i] = (k / (k + 5.0)) * variance + 1e-3 * (5.0 / (k + 5.0))
            mean[i] = 0.0
            m2[i] = 0.0
        c[9] = 0.0
        c[5], c[6], c[8] = 0.0, 0.0, 0.0
        c[7] = math.log(10.0 * c[4])
    if draw + 1 == warmup:
        c[4] = math.exp(c[5])
    return ends


@jit_call
def leapfrog(q, r, gradient, step, inverse_mass, {model}, temperature):
    """One leapfrog step of H = U(q) + ½ rᵀM⁻¹r, in place; returns U."""
    for i in range(len(q)):
        r[i] -= 0.5 * step * gradient[i]
        q[i] += step * inverse_mass[i] * r[i]
    u = potential(q, {model}, temperature, gradient)
    for i in range(len(q)):
        r[i] -= 0.5 * step * gradient[i]
    return u


@jit_call
def kinetic(r, inverse_mass):
    total = 0.0
    for i in range(len(r)):
        total += inverse_mass[i] * r[i] * r[i]
    return 0.5 * total


@jit_call
def draw_momentum(r, inverse_mass, s):
    """r ~ N(0, M), M diagonal."""
    for i in range(len(r)):
        z, s = normal(s)
        r[i] = z / math.sqrt(inverse_mass[i])
    return s


@jit_call
def copy(target, source):
    for i in range(len(source)):
        target[i] = source[i]
'''


SCALAR_POTENTIAL = '''
@jit_call
def potential(q, t, p, temperature, gradient):
    """U = E/T at q, with ∇U written into gradient."""
    g = grad_energy(q, t, p)
    for i in range(len(gradient)):
        gradient[i] = g[i] / temperature
    return energy(q, t, p) / temperature
'''


def scalar_source(n: int, draw_source: str, sampler: str, rows: int) -> str:
    """A scalar kernel's sampler: the warm-up, the draw (`sampler`, defined
    by draw_source: a function of arrays that returns the stream, the
    counters and the draw), and an advance that copies the state and
    control tuples into arrays, draws once, and returns the tuples."""
    length = control_length(n)
    return (
        source("t, p")
        + SCALAR_POTENTIAL
        + draw_source
        + f'''
@jit
def advance(x, t, dt, p, s, c, counts):
    """One draw of {sampler.removesuffix("_draw").upper()}; in warm-up, one adaptation step."""
    start, control, work = np.empty({n}), np.empty({length}), np.empty(({rows}, {n}))
    for i in range({n}):
        start[i] = x[i]
    for i in range({length}):
        control[i] = c[i]
    s, counts, draw = {sampler}(start, t, p, dt, s, control, counts, work)
    return {tuple_of("draw[{k}]", n)}, s, {tuple_of("control[{k}]", length)}, counts, 0
'''
    )


def control_length(n: int) -> int:
    return SCALARS + VECTORS * n


def reports(system=None) -> dict[str, list[int]]:
    """The control slots reported per chain after a run, as [first slot,
    its coefficient of n, slots, their coefficient of n] (n: the state's length)."""
    return {
        "first_divergent_draw": [FIRST_DIVERGENT, 0, 1, 0],
        "first_divergence_from": [SCALARS, DIVERGENCE_FROM, 0, 1],
    }


def applies(system) -> str | None:
    if system.gibbs is None:
        return "it samples exp(-E/T): it needs an energy model with a temperature"
    return None
