"""The ensemble driver: validate a request, initialize the particles, run the
kernel in chunks (for progress and Ctrl-C), and collect a Result.

Chunks split the steps, never the randomness: each particle's stream lives
in its own state, so one chunk or many, one thread or many, give the same
bits. This module must not import SymPy: a warm run never does.
"""

from __future__ import annotations

import difflib
import math
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Mapping

import numba
import numpy as np

from actionc.codegen.kernel import Kernel
from actionc.errors import RunError
from actionc.run.result import Result
from actionc.version import __version__

MAX_SAVES_GB = 4  # refuse runs whose saves alone would exhaust a laptop


@dataclass
class _Particles:
    x: np.ndarray  # (particles, n) current state
    streams: np.ndarray  # (particles, 4) uint64
    control: np.ndarray  # (particles, control)
    stats: np.ndarray  # (particles, len(stats))
    status: np.ndarray  # (particles,) int8: 0 ok, else a failure code
    failed_at: np.ndarray  # (particles,) int64: the step that failed


def simulate(
    kernel: Kernel,
    *,
    dt: float,
    steps: int,
    particles: int = 1,
    seed: int = 0,
    params: Mapping[str, float | np.ndarray] | None = None,
    init: Mapping[str, float] | None = None,
    save_every: int = 1,
    threads: int | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    warmup: int | None = None,
    target_accept: float = 0.8,
    trajectory_length: float = math.pi / 2,
    progress: bool | None = None,
    chunk_steps: int | None = None,
    model_hash: str = "",
) -> Result:
    """Advance `particles` copies of the model `steps` steps of size `dt`.

    params: overrides of parameter defaults, each a number or an array of
    one value per particle (a sweep). init: initial values by state name
    (velocities as q_dot), each a number or one value per particle. Saves the state at t = 0 and after every
    `save_every` steps. rtol, atol: tolerances of adaptive methods (dopri5).
    warmup, target_accept, trajectory_length: of the adaptive samplers (hmc,
    nuts): warm-up draws run before the saved steps and are not saved
    (default: as many as steps), see docs/running.md.
    chunk_steps fixes how many steps run between progress updates (by
    default about a quarter second's worth); it never changes the result.
    """
    meta = kernel.meta
    names, n = meta["state"], len(meta["state"])
    _check_numbers(dt=dt, steps=steps, particles=particles, save_every=save_every, seed=seed, rtol=rtol, atol=atol)
    if steps % save_every:
        raise RunError(
            f"--steps {steps} is not a multiple of --save-every {save_every}",
            hint="choose steps as a whole number of saves",
        )
    n_saves = steps // save_every + 1
    gigabytes = n_saves * particles * n * 8 / 2**30
    if gigabytes > MAX_SAVES_GB:
        raise RunError(
            f"saving {n_saves} states of {particles} particles would take {gigabytes:.1f} GiB of memory",
            hint=f"save fewer: a larger --save-every (the limit is {MAX_SAVES_GB} GiB)",
        )
    p, p_stride, param_values = _parameters(dict(meta["params"]), params or {}, particles)
    init = dict(init or {})
    per_particle = {k: np.asarray(v, float) for k, v in init.items() if np.ndim(v) > 0}
    for name, column in per_particle.items():
        if column.shape != (particles,) or not np.isfinite(column).all():
            raise RunError(f"init '{name}': one finite value per particle ({particles}), not an array {column.shape}")
    override, values = _initial_overrides(names, {k: v for k, v in init.items() if k not in per_particle})
    threads = _threads(threads)
    module = kernel.module

    state = _Particles(
        x=np.empty((particles, n)),
        streams=np.empty((particles, 4), dtype=np.uint64),
        control=np.zeros((particles, meta["control"])),
        stats=np.zeros((particles, max(1, len(meta["stats"])))),
        status=np.zeros(particles, dtype=np.int8),
        failed_at=np.zeros(particles, dtype=np.int64),
    )
    adaptive = any(option == "warmup" for _, option in meta["control_options"])
    warmup = _warmup(warmup, steps, target_accept, trajectory_length) if adaptive else 0
    run_options = {
        "rtol": rtol,
        "atol": atol,
        "warmup": warmup,
        "target_accept": target_accept,
        "trajectory_length": trajectory_length,
    }
    for slot, option in meta["control_options"]:  # e.g. dopri5's tolerances
        state.control[:, slot] = run_options[option]
    fixed = (state.x, p, p_stride, state.streams, state.control, state.stats, state.status, state.failed_at)
    initial = (np.uint64(seed), override, values)
    no_saves = np.empty((0, particles, n))
    _run_blocks(module.run_particles, threads, particles, (*fixed, 0.0, float(dt), 0, 0, 1, no_saves, *initial))
    _initial_overrides(names, dict.fromkeys(per_particle, 0.0))  # the names exist
    for name, column in per_particle.items():
        state.x[:, names.index(name)] = column
    if not np.isfinite(state.x).all():
        raise RunError("the initial state is not finite", hint="check the init values and the parameters")
    if warmup:  # adaptive samplers: warm-up draws, not saved, before the saved steps
        arguments = (*fixed, 0.0, float(dt), 0, warmup, warmup + 1, no_saves, *initial)
        _run_blocks(module.run_particles, threads, particles, arguments)

    n_saves = steps // save_every
    saves = np.empty((n_saves + 1, particles, n))
    saves[0] = state.x
    done, complete = 0, True
    bar = _Progress(steps, enabled=progress)
    if chunk_steps is not None and (chunk_steps < 1 or chunk_steps % save_every):
        raise RunError("chunk_steps must be a positive multiple of save_every")
    chunk = chunk_steps or save_every
    try:
        while done < steps:
            count = min(chunk, steps - done)
            first_save = done // save_every + 1
            started = time.perf_counter()
            saves_here = saves[first_save : first_save + count // save_every]
            arguments = (*fixed, 0.0, float(dt), done, count, save_every, saves_here, *initial)
            _run_blocks(module.run_particles, threads, particles, arguments)
            done += count
            bar.update(done)
            if chunk_steps is None:
                chunk = _next_chunk(chunk, count, time.perf_counter() - started, save_every)
    except KeyboardInterrupt:
        complete = False
    finally:
        bar.close()
    saved = done // save_every + 1
    result = _result(meta, state, saves[:saved], dt, done, save_every, seed, param_values, complete, model_hash)
    if adaptive:
        result.meta["warmup"] = warmup
        result.meta["divergences_per_chain"] = state.stats[:, meta["stats"].index("divergences")].astype(int).tolist()
    return result


def _warmup(warmup: int | None, steps: int, target_accept: float, trajectory_length: float) -> int:
    """The warm-up of an adaptive sampler (default: as many draws as steps), checked."""
    if warmup is not None and (not isinstance(warmup, (int, np.integer)) or warmup < 0):
        raise RunError(f"--warmup must be a whole number ≥ 0, not {warmup!r}")
    if not 0 < target_accept < 1:
        raise RunError(f"--target-accept must be between 0 and 1, not {target_accept!r}")
    if not (math.isfinite(trajectory_length) and trajectory_length > 0):
        raise RunError(f"--trajectory-length must be a positive number, not {trajectory_length!r}")
    return steps if warmup is None else int(warmup)


def _threads(threads: int | None) -> int:
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if threads is None:
        return available
    if not isinstance(threads, (int, np.integer)) or threads < 1:
        raise RunError(f"--threads must be a whole number ≥ 1, not {threads!r}")
    return int(threads)


def _run_blocks(function, threads: int, particles: int, arguments: tuple) -> None:
    """Call function(first, end, *arguments) on blocks of particles from
    `threads` threads (the kernel releases the GIL). More blocks than
    threads even out particles that cost more (rejections, adaptive steps).
    Which thread runs which block never changes a result."""
    if threads == 1 or particles < 2:
        function(0, particles, *arguments)
        return
    blocks = min(particles, 4 * threads)
    edges = np.linspace(0, particles, blocks + 1).astype(np.int64)
    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = [pool.submit(function, int(a), int(b), *arguments) for a, b in zip(edges[:-1], edges[1:]) if b > a]
        for future in futures:
            future.result()


def _next_chunk(chunk: int, count: int, seconds: float, save_every: int) -> int:
    """Aim for chunks of about a quarter second: progress, and Ctrl-C."""
    if seconds <= 0:
        return chunk * 4
    target = int(count * 0.25 / seconds)
    target = max(save_every, min(chunk * 4, target))
    return target - target % save_every or save_every


def _check_numbers(**values) -> None:
    dt = values["dt"]
    if not (isinstance(dt, (int, float)) and math.isfinite(dt) and dt > 0):
        raise RunError(f"--dt must be a positive number, not {dt!r}")
    for name in ("steps", "save_every", "particles"):
        value = values[name]
        minimum = 0 if name == "steps" else 1
        if not isinstance(value, (int, np.integer)) or value < minimum:
            raise RunError(f"--{name.replace('_', '-')} must be a whole number ≥ {minimum}, not {value!r}")
    seed = values["seed"]
    if not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**64:
        raise RunError(f"--seed must be a whole number in [0, 2^64), not {seed!r}")
    for name in ("rtol", "atol"):
        if not values[name] > 0:
            raise RunError(f"--{name} must be positive")


def _parameters(defaults: dict, overrides: Mapping, particles: int):
    names = list(defaults)
    for name in overrides:
        if name not in defaults:
            close = difflib.get_close_matches(name, names, n=1)
            raise RunError(
                f"unknown parameter '{name}'",
                hint=f"did you mean '{close[0]}'?" if close else f"the parameters are: {', '.join(names) or 'none'}",
            )
    sweep = any(np.ndim(v) > 0 for v in overrides.values())
    rows = particles if sweep else 1
    p = np.empty((rows, max(1, len(names))))
    recorded = {}
    for k, name in enumerate(names):
        value = np.asarray(overrides.get(name, defaults[name]), dtype=float)
        if value.ndim > 0 and value.shape != (particles,):
            raise RunError(f"parameter '{name}' has {value.size} values for {particles} particles")
        if not np.isfinite(value).all():
            raise RunError(f"parameter '{name}' must be finite")
        p[:, k] = value
        recorded[name] = value.tolist() if value.ndim else float(value)
    return p, (1 if sweep else 0), recorded


def _initial_overrides(names: list[str], init: Mapping[str, float]):
    override = np.zeros(len(names), dtype=np.bool_)
    values = np.zeros(len(names))
    for name, value in init.items():
        if name not in names:
            close = difflib.get_close_matches(name, names, n=1)
            raise RunError(
                f"unknown state variable '{name}'",
                hint=f"did you mean '{close[0]}'?" if close else f"the state is: {', '.join(names)}",
            )
        if not math.isfinite(float(value)):
            raise RunError(f"the initial value of '{name}' must be finite")
        override[names.index(name)] = True
        values[names.index(name)] = float(value)
    return override, values


def _result(meta, state: _Particles, saves, dt, done, save_every, seed, params, complete, model_hash) -> Result:
    failures = []
    for i in np.flatnonzero(state.status):
        code = str(int(state.status[i]))
        reason = meta["failures"].get(code, ["failed", ""])[0]
        step = int(state.failed_at[i])
        failures.append({"particle": int(i), "step": step, "time": step * dt, "reason": reason})
    stats = {name: float(state.stats[:, k].sum()) for k, name in enumerate(meta["stats"])}
    if "accepted" in stats and stats.get("proposed"):
        stats["acceptance_rate"] = stats["accepted"] / stats["proposed"]
    info = {
        "model": meta["model"],
        "model_hash": model_hash,
        "kind": meta["kind"],
        "method": meta["method"],
        "dt": float(dt),
        "steps": int(done),
        "save_every": int(save_every),
        "particles": int(state.x.shape[0]),
        "seed": int(seed),
        "params": params,
        "diverged": len(failures),
        "failures": failures[:100],
        "stats": stats,
        "complete": bool(complete),
        "versions": {"actionc": __version__, "numba": numba.__version__, "numpy": np.__version__},
    }
    times = np.arange(saves.shape[0]) * (save_every * dt)
    return Result(t=times, x=saves, names=list(meta["state"]), meta=info, invariant_names=list(meta["invariants"]))


class _Progress:
    """A one-line progress bar on stderr, for runs longer than a second,
    only when stderr is a terminal."""

    def __init__(self, total: int, enabled: bool | None) -> None:
        self.total = max(1, total)
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.start = time.perf_counter()
        self.shown = False

    def update(self, done: int) -> None:
        elapsed = time.perf_counter() - self.start
        if not self.enabled or elapsed < 1.0:
            return
        fraction = done / self.total
        bar = "#" * int(30 * fraction)
        eta = elapsed / fraction - elapsed if fraction > 0 else 0.0
        sys.stderr.write(f"\r[{bar:<30}] {100 * fraction:5.1f}%  {elapsed:6.1f}s elapsed, {eta:6.1f}s left")
        sys.stderr.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\n")
            sys.stderr.flush()
