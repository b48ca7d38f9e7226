"""Stochastic-gradient Langevin dynamics (Welling & Teh 2011): overdamped
Langevin dynamics of exp(−E/T) stepped by Euler–Maruyama with a minibatch
gradient,

    x ← x − (h_k/γ) ∇Ê(x) + sqrt(2 T h_k/γ) ξ,    h_k = dt (constant)
                                                 or dt (1 + k/decay)^−0.55,

∇Ê the unbiased minibatch estimate of actionc.run.minibatch. Unadjusted:
its bias is O(dt) plus the batch noise's, which the decreasing step
removes (Teh, Thiery & Vollmer 2016). The noise of particle i is a
Philox stream keyed by (seed, SGLD_STREAM + i) drawn in step order, its
batches keyed likewise: a pure function of (seed, particle, step).
"""

from __future__ import annotations

import math
import time

import numpy as np

from actionc.errors import RunError
from actionc.run.evaluate import objective
from actionc.run.minibatch import Minibatches, check_data_sum, stochastic_gradient
from actionc.run.result import Result

SGLD_STREAM = 0x561D
DECAY_EXPONENT = 0.55  # Welling & Teh's a (b + t)^−γ with γ = 0.55, within (0.5, 1]


def sgld(
    compiled,
    *,
    dt: float,
    steps: int,
    batch: int,
    particles: int = 1,
    seed: int = 0,
    params=None,
    init=None,
    inputs=None,
    save_every: int | None = None,
    decay: float | None = None,
) -> Result:
    """`particles` chains of SGLD, `steps` steps from the model's init; the
    state saved every save_every steps (result.t is the time Σ h_k)."""
    if not (isinstance(dt, (int, float)) and math.isfinite(dt) and dt > 0):
        raise RunError(f"--dt must be a positive number, not {dt!r}")
    if decay is not None and not (isinstance(decay, (int, float)) and decay > 0):
        raise RunError(f"--step-decay must be a positive number of steps, not {decay!r}")
    save_every = save_every or max(1, steps // 100)
    if not isinstance(steps, (int, np.integer)) or steps < 1 or steps % save_every:
        raise RunError(f"--steps must be a whole number ≥ 1 and a multiple of --save-every {save_every}")
    start = compiled.run(
        dt=dt, steps=0, particles=particles, seed=seed, params=params, init=init, inputs=inputs, invariants=False
    )
    data = compiled.data(inputs)[0] if compiled.meta.inputs else None
    problem = objective(compiled, start.meta["params"], data, start.names)
    friction = float(compiled.kernel.module.gibbs_constants(problem.p)[1])
    batches = Minibatches(compiled.meta, problem.data, problem.p, batch, seed)
    x = start.x[0].copy()
    check_data_sum(problem, batches, x[0])
    noise = [np.random.Generator(np.random.Philox(key=[seed % 2**64, SGLD_STREAM + i])) for i in range(particles)]
    saves, times, clock = [x.copy()], [0.0], 0.0
    began = time.perf_counter()
    diverged = np.zeros(particles, dtype=bool)
    for k in range(steps):
        h = dt if decay is None else dt * (1 + k / decay) ** -DECAY_EXPONENT
        spread = math.sqrt(2 * problem.temperature * h / friction)
        for i in range(particles):
            if diverged[i]:
                continue
            g = stochastic_gradient(problem, batches, x[i], batches.rows(i, k))
            moved = x[i] - (h / friction) * g + spread * noise[i].standard_normal(problem.n)
            if np.isfinite(moved).all():
                x[i] = moved
            else:
                diverged[i] = True  # frozen at its last finite state
        clock += h
        if (k + 1) % save_every == 0:
            saves.append(x.copy())
            times.append(clock)
    meta = {
        "model": compiled.meta.model,
        "model_hash": compiled.model_hash,
        "kind": compiled.meta.kind.value,
        "method": "sgld",
        "dt": float(dt),
        "steps": int(steps),
        "save_every": int(save_every),
        "particles": int(particles),
        "seed": int(seed),
        "params": start.meta["params"],
        "diverged": int(diverged.sum()),
        "failures": [],
        "stats": {},
        "complete": True,
        "source": compiled.model_source,
        "sgld": {"batch": batch, "rows": batches.n, "decay": decay, "seconds": time.perf_counter() - began},
    }
    return Result(t=np.array(times), x=np.stack(saves), names=list(start.names), meta=meta, failed=diverged)
