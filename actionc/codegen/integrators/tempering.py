"""Replica exchange (parallel tempering) over MALA moves (Swendsen & Wang,
Phys. Rev. Lett. 57 (1986); Geyer, "Markov chain Monte Carlo maximum
likelihood" (1991); Earl & Deem, "Parallel tempering: theory, applications,
and new perspectives", PCCP 7 (2005)), with the deterministic even–odd
swap schedule (Okabe et al. 2001; Syed, Bouchard-Côté, Deligiannidis &
Doucet, "Non-reversible parallel tempering", JRSS B 84 (2022)).

Every chain carries K replicas of the state on a geometric temperature
ladder T_k = T·R^(k/(K−1)), k = 0 … K−1 (K: run option `replicas`, R: the
ratio `hottest` of the hottest to the model's temperature). One step moves
every replica by one MALA step of exp(−E/T_k) (langevin.py's proposal,
the same dt: for a quadratic well the proposal's scale relative to the
well's is then the same at every temperature), then tries to swap the
neighbours (k, k+1) for every even k on even steps and every odd k on odd
steps, each with probability min(1, exp((1/T_k − 1/T_{k+1})(E_k − E_{k+1}))).
Each move leaves the product of the K Gibbs densities invariant, so the
state of replica 0, the saved one, samples exp(−E/T) exactly, and the hot
replicas carry it over barriers the cold one cannot cross.

Replicas 1 … K−1 live in the control state (at most MAX_REPLICAS; the
tuple grows with it). Counters after warm-up: MALA acceptances and draws
of the cold replica, gradient evaluations, and for each neighbour pair its
swap attempts and swaps (actionc.run.simulate turns them into swap rates).
"""

from actionc.codegen.integrators.base import Integrator, tuple_literal
from actionc.system import System

MAX_REPLICAS = 16
SCALARS = 4  # warm-up draws, replicas K, hottest ratio R, draws done

SOURCE = '''
@jit_call
def mala_move(q, energy_q, temperature, step, t, p, s, y, gradient_y):
    """One MALA step of exp(−E/T) from q (its energy given), in place;
    returns (E at the new q, accepted, stream)."""
    n = len(q)
    gradient = grad_energy(q, t, p)
    noise = math.sqrt(2.0 * temperature * step)
    for i in range(n):
        z, s = normal(s)
        y[i] = q[i] - step * gradient[i] + noise * z
    energy_y = energy(y, t, p)
    g = grad_energy(y, t, p)
    forward, backward = 0.0, 0.0
    for i in range(n):
        gradient_y[i] = g[i]
        forward += (y[i] - q[i] + step * gradient[i]) ** 2
        backward += (q[i] - y[i] + step * gradient_y[i]) ** 2
    log_ratio = -(energy_y - energy_q) / temperature - (backward - forward) / (4.0 * temperature * step)
    u, s = uniform(s)
    if math.isfinite(log_ratio) and (log_ratio >= 0.0 or u < math.exp(log_ratio)):
        for i in range(n):
            q[i] = y[i]
        return energy_y, True, s
    return energy_q, False, s
'''


def _source(system: System) -> str:
    n, m = len(system.state), MAX_REPLICAS
    control = [f"scalars[{k}]" for k in range(SCALARS)]
    control += [f"replicas[{r}, {i}]" for r in range(1, m) for i in range(n)]
    return (
        SOURCE
        + f'''

@jit
def advance(x, t, dt, p, s, c, counts):
    """One replica-exchange step: a MALA move of every replica, then the
    swaps of this step's parity. Replica 0 is the chain's state x."""
    model_temperature, friction = gibbs_constants(p)
    step = dt / friction
    scalars = np.empty({SCALARS})
    for i in range({SCALARS}):
        scalars[i] = c[i]
    k_replicas, hottest, draw = int(scalars[1]), scalars[2], int(scalars[3])
    replicas = np.empty(({m}, {n}))
    for i in range({n}):
        replicas[0, i] = x[i]
    for r in range(1, {m}):
        for i in range({n}):
            # before the first step every replica starts at the chain's initial state
            replicas[r, i] = c[{SCALARS} + (r - 1) * {n} + i] if draw > 0 else x[i]
    temperatures, energies = np.empty(k_replicas), np.empty(k_replicas)
    y, gradient_y = np.empty({n}), np.empty({n})
    accepted_here = False
    for r in range(k_replicas):
        temperatures[r] = model_temperature * hottest ** (r / (k_replicas - 1))
        q = replicas[r]
        energies[r], accepted, s = mala_move(q, energy(q, t, p), temperatures[r], step, t, p, s, y, gradient_y)
        if r == 0:
            accepted_here = accepted
    tried = np.zeros({m - 1})
    swapped = np.zeros({m - 1})
    for k in range(draw % 2, k_replicas - 1, 2):  # even pairs on even steps, odd on odd
        log_ratio = (1.0 / temperatures[k] - 1.0 / temperatures[k + 1]) * (energies[k] - energies[k + 1])
        u, s = uniform(s)
        tried[k] = 1.0
        if log_ratio >= 0.0 or u < math.exp(log_ratio):
            swapped[k] = 1.0
            for i in range({n}):
                replicas[k, i], replicas[k + 1, i] = replicas[k + 1, i], replicas[k, i]
            energies[k], energies[k + 1] = energies[k + 1], energies[k]
    scalars[3] = draw + 1
    if draw >= int(scalars[0]):  # after warm-up
        counts = {_counts(m)}
    return {tuple_literal([f"replicas[0, {i}]" for i in range(n)])}, s, {tuple_literal(control)}, counts, 0
'''
    )


def _counts(m: int) -> str:
    """The updated counters: accepted, proposed, gradients, then tries and swaps of each pair."""
    items = ["counts[0] + (1.0 if accepted_here else 0.0)", "counts[1] + 1.0", "counts[2] + 2.0 * k_replicas"]
    items += [f"counts[{3 + k}] + tried[{k}]" for k in range(m - 1)]
    items += [f"counts[{3 + (m - 1) + k}] + swapped[{k}]" for k in range(m - 1)]
    return tuple_literal(items)


def applies(system: System) -> str | None:
    if system.gibbs is None:
        return "it samples exp(-E/T): it needs an energy model with a temperature"
    return None


TEMPERING = Integrator(
    name="tempering",
    summary="replica exchange (parallel tempering) over MALA moves, even–odd swaps (Swendsen–Wang 1986)",
    stochastic=True,
    applies=applies,
    source=_source,
    stats=(
        "accepted",
        "proposed",
        "gradients",
        *(f"swap_tries_{k}" for k in range(MAX_REPLICAS - 1)),
        *(f"swaps_{k}" for k in range(MAX_REPLICAS - 1)),
    ),
    control=lambda system: SCALARS + (MAX_REPLICAS - 1) * len(system.state),
    options=((0, "warmup"), (1, "replicas"), (2, "hottest")),
    needs=("energy", "grad_energy", "gibbs_constants"),
)
