"""Warm-up of the Hamiltonian samplers (hmc, nuts), as kernel source: Stan's
adaptation, per chain, in the chain's control slots.

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

The control state c of a chain, as slots:
    0 warm-up draws N (run option `warmup`)     1 target acceptance δ (`target_accept`)
    2 the sampler's own option (hmc: trajectory length)
    3 draws done   4 step size ε (0: not yet started: take dt)
    5 log ε̄   6 H̄   7 μ   8 dual-averaging iterations   9 draws in the window
    10 … 10+n−1: M⁻¹ (0: not yet started: 1)   then the window's Welford mean, then its M2
    then the first divergent draw, then the n values of the state it started from
    then 1 once U and ∇U at the chain's state are kept, U, then the n values of ∇U
"""

from actionc.codegen.integrators.base import tuple_literal

SCALARS = 10  # slots before the three vectors

# γ, t0, κ of dual averaging; Stan's buffers and first window
SOURCE = '''
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
def warmup_state(c, dt, n):
    """The chain's adaptation state from its control tuple, as arrays:
    (scalars, inverse mass, window mean, window M2)."""
    scalars = np.empty(SCALARS)
    inverse_mass, mean, m2 = np.empty(n), np.empty(n), np.empty(n)
    for i in range(SCALARS):
        scalars[i] = c[i]
    for i in range(n):
        inverse_mass[i] = c[SCALARS + i] if c[SCALARS + i] > 0.0 else 1.0
        mean[i] = c[SCALARS + n + i]
        m2[i] = c[SCALARS + 2 * n + i]
    if scalars[4] <= 0.0:  # the first draw: start from dt
        scalars[4] = dt
        scalars[7] = math.log(10.0 * dt)
    return scalars, inverse_mass, mean, m2


@jit_call
def divergence_state(c, n):
    """The first divergent draw and the state it started from, as an array."""
    divergence = np.empty(n + 1)
    for i in range(n + 1):
        divergence[i] = c[SCALARS + 3 * n + i]
    return divergence


@jit_call
def note_divergence(divergence, draw, x):
    """Keep the chain's first divergent draw (1-based) and where its trajectory started."""
    if divergence[0] == 0.0:
        divergence[0] = draw
        for i in range(len(x)):
            divergence[1 + i] = x[i]


@jit_call
def cached_state(c, n):
    """(kept?, U, ∇U) at the chain's state, as the last draw left them."""
    cached = np.empty(n + 2)
    for i in range(n + 2):
        cached[i] = c[SCALARS + 4 * n + 1 + i]
    return cached


@jit_call
def start_potential(q, t, p, temperature, gradient, cached):
    """U at the chain's state q, ∇U written into gradient: as the last draw
    kept them, or evaluated. Returns (U, gradient evaluations made)."""
    if cached[0] != 0.0:
        for i in range(len(q)):
            gradient[i] = cached[2 + i]
        return cached[1], 0.0
    return potential(q, t, p, temperature, gradient), 1.0


@jit_call
def keep(cached, u, gradient):
    """Keep U and ∇U at the state a draw chose, for the next draw."""
    cached[0], cached[1] = 1.0, u
    for i in range(len(gradient)):
        cached[2 + i] = gradient[i]


@jit_call
def initial_step(q, step, inverse_mass, t, p, temperature, s):
    """Stan's heuristic: the log acceptance of one leapfrog step of ε from
    q (fresh momenta each try) sets a direction; ε doubles (or halves)
    until it crosses log 0.8. Returns (ε, stream)."""
    n = len(q)
    position, r, gradient = np.empty(n), np.empty(n), np.empty(n)
    direction = 0
    while 1e-300 < step < 1e7:
        for i in range(n):
            position[i] = q[i]
        u0 = potential(position, t, p, temperature, gradient)
        s = draw_momentum(r, inverse_mass, s)
        h0 = u0 + kinetic(r, inverse_mass)
        u1 = leapfrog(position, r, gradient, step, inverse_mass, t, p, temperature)
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
def restart_step(scalars, q, inverse_mass, t, p, temperature, s):
    """A new first step size by the heuristic, and dual averaging's μ = log 10ε."""
    scalars[4], s = initial_step(q, scalars[4], inverse_mass, t, p, temperature, s)
    scalars[7] = math.log(10.0 * scalars[4])
    return s


@jit_call
def adapt(scalars, inverse_mass, mean, m2, q, accept_stat, n):
    """After a warm-up draw q with mean acceptance statistic accept_stat:
    one dual-averaging step, one Welford step, and a new metric at a
    window's end (then returns True). Does nothing after warm-up."""
    draw, warmup = int(scalars[3]), int(scalars[0])
    if draw >= warmup:
        return False
    scalars[3] = draw + 1
    iteration = scalars[8] + 1.0
    scalars[8] = iteration
    weight = 1.0 / (iteration + 10.0)
    scalars[6] = (1.0 - weight) * scalars[6] + weight * (scalars[1] - accept_stat)
    log_step = scalars[7] - math.sqrt(iteration) / 0.05 * scalars[6]
    eta = iteration**-0.75
    scalars[5] = eta * log_step + (1.0 - eta) * scalars[5]
    scalars[4] = math.exp(log_step)
    ends, inside = window_ends_at(draw, warmup)
    if inside:
        k = scalars[9] + 1.0
        scalars[9] = k
        for i in range(n):
            delta = q[i] - mean[i]
            mean[i] += delta / k
            m2[i] += delta * (q[i] - mean[i])
    if ends:
        k = scalars[9]
        for i in range(n):
            variance = m2[i] / (k - 1.0) if k > 1.0 else 1.0
            inverse_mass[i] = (k / (k + 5.0)) * variance + 1e-3 * (5.0 / (k + 5.0))
            mean[i] = 0.0
            m2[i] = 0.0
        scalars[9] = 0.0
        scalars[5], scalars[6], scalars[8] = 0.0, 0.0, 0.0
        scalars[7] = math.log(10.0 * scalars[4])
    if draw + 1 == warmup:
        scalars[4] = math.exp(scalars[5])
    return ends


@jit_call
def potential(q, t, p, temperature, gradient):
    """U = E/T at q, with ∇U written into gradient."""
    g = grad_energy(q, t, p)
    for i in range(len(gradient)):
        gradient[i] = g[i] / temperature
    return energy(q, t, p) / temperature


@jit_call
def leapfrog(q, r, gradient, step, inverse_mass, t, p, temperature):
    """One leapfrog step of H = U(q) + ½ rᵀM⁻¹r, in place; returns U."""
    for i in range(len(q)):
        r[i] -= 0.5 * step * gradient[i]
        q[i] += step * inverse_mass[i] * r[i]
    u = potential(q, t, p, temperature, gradient)
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
'''.replace("SCALARS", str(SCALARS))

DIVERGENCE = 1000.0  # an energy error above this ends a trajectory as divergent (Stan's threshold)


def control_length(n: int) -> int:
    return SCALARS + 5 * n + 3


def control_tuple(n: int) -> str:
    """The returned control state: the scalars, the three vectors, the first divergence, U and ∇U kept."""
    items = [f"scalars[{k}]" for k in range(SCALARS)]
    items += [f"{name}[{k}]" for name in ("inverse_mass", "mean", "m2") for k in range(n)]
    items += [f"divergence[{k}]" for k in range(n + 1)]
    items += [f"cached[{k}]" for k in range(n + 2)]
    return tuple_literal(items)


def reports(system) -> dict[str, list[int]]:
    """The control slots the driver reports per chain after a run."""
    first = SCALARS + 3 * len(system.state)
    return {
        "first_divergent_draw": [first],
        "first_divergence_from": list(range(first + 1, first + 1 + len(system.state))),
    }


def applies(system) -> str | None:
    if system.gibbs is None:
        return "it samples exp(-E/T): it needs an energy model with a temperature"
    return None
