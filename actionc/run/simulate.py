"""The ensemble driver: validate a request, initialize the particles, run the
kernel in chunks (for progress and Ctrl-C), and collect a Result.

Chunks split the steps, never the randomness: each particle's stream lives
in its own state, so one chunk or many, one thread or many, give the same
bits. This module must not import SymPy: a warm run never does.
"""

from __future__ import annotations

import contextlib
import math
import signal
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from actionc.codegen.kernel import Kernel
from actionc.codegen.library import Driver
from actionc.errors import RunError
from actionc.run import events, request
from actionc.run.initial import Draw
from actionc.run.result import Result
from actionc.version import __version__

TUPLE_LIMIT = "fewer state variables, or another --method; indexed models (arrays in the language) will lift this"
CHUNK_SECONDS = 0.1  # of compute between two looks at Ctrl-C (and progress updates)


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
    init: Mapping[str, float | np.ndarray | str | Draw] | None = None,
    save_every: int | None = None,
    t0: float = 0.0,
    threads: int | None = None,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    warmup: int | None = None,
    target_accept: float = 0.8,
    trajectory_length: float = math.pi / 2,
    replicas: int = 8,
    hottest: float = 10.0,
    progress: bool | None = None,
    chunk_steps: int | None = None,
    crossings: int = 1000,
    model_hash: str = "",
    data: np.ndarray | None = None,
    first_particle: int = 0,
) -> Result:
    """Advance `particles` copies of the model `steps` steps of size `dt`
    from time `t0`.

    params: overrides of parameter defaults, each a number or an array of
    one value per particle (a sweep). init: initial values by state name
    (velocities as q_dot), each a number, one value per particle, or a
    distribution drawn per particle: "normal(MEAN, STD)", "uniform(LOW,
    HIGH)" (or a Draw). Saves the state at t0 and after every `save_every`
    steps (default: about SUMMARY_SAVES saves, see default_save_every).
    rtol, atol: tolerances of adaptive methods (dopri5).
    warmup, target_accept, trajectory_length: of the adaptive samplers (hmc,
    nuts): warm-up draws run before the saved steps and are not saved
    (default: as many as steps), see docs/running.md. replicas, hottest: of
    tempering, the number of temperatures per chain and the ratio of the
    hottest to the model's (docs/sampling.md); tempering warms up too.
    chunk_steps fixes how many steps run between progress updates (by
    default about a quarter second's worth); it never changes the result.
    data: the flat data arrays of an indexed model (actionc.run.inputs).
    crossings: of a kernel with a section, the crossings kept per particle
    (more are counted, not kept); see actionc.run.events.
    first_particle: the ensemble's number of the first of these particles
    (a range of a larger run, run elsewhere: actionc.run.distributed); its
    particles draw the streams of particles first_particle, … of a whole run.
    """
    meta = kernel.meta
    names, n = list(meta.state), len(meta.state)
    if meta.indexed:
        names = request.indexed_names(meta, params or {})
        n = len(names)
    data = np.zeros(1) if data is None else np.ascontiguousarray(data, dtype=float)
    swept = any(np.ndim(v) > 0 for v in (params or {}).values())
    if save_every is None:  # about 100 saves, or the first and last where those would not fit
        save_every = request.default_save_every(steps)
        if request.memory(meta, steps // max(1, save_every) + 1, particles, swept, 0, n)[0] > request.MAX_MEMORY_GB:
            save_every = max(1, steps)
    request.check_numbers(
        dt=dt, steps=steps, particles=particles, save_every=save_every, seed=seed, rtol=rtol, atol=atol
    )
    if not (isinstance(t0, (int, float, np.floating)) and math.isfinite(t0)):
        raise RunError(f"--t0 must be a finite number, not {t0!r}")
    if not isinstance(first_particle, (int, np.integer)) or not 0 <= first_particle < 2**62:
        raise RunError(f"first_particle must be a whole number in [0, 2^62), not {first_particle!r}")
    if steps % save_every:
        raise RunError(
            f"--steps {steps} is not a multiple of --save-every {save_every}",
            hint="choose steps as a whole number of saves",
        )
    capacity = events.capacity(meta.event, crossings)
    request.check_memory(meta, steps // save_every + 1, particles, swept, capacity * (n + 1), n)
    p, p_stride, param_values = request.parameters(dict(meta.params), params or {}, particles)
    init = request.drawn(dict(init or {}), names, seed, particles)
    per_particle = {k: np.asarray(v, float) for k, v in init.items() if np.ndim(v) > 0}
    for name, column in per_particle.items():
        if column.shape != (particles,) or not np.isfinite(column).all():
            raise RunError(f"init '{name}': one finite value per particle ({particles}), not an array {column.shape}")
    override, values = request.initial_overrides(names, {k: v for k, v in init.items() if k not in per_particle})
    threads = request.threads(threads)
    run_particles = kernel.run_particles()  # a warm kernel's shared library, else Numba's function

    state = _Particles(
        x=np.empty((particles, n)),
        streams=np.empty((particles, 4), dtype=np.uint64),
        control=np.zeros((particles, meta.control_length(n))),
        stats=np.zeros((particles, max(1, len(meta.stats)))),
        status=np.zeros(particles, dtype=np.int8),
        failed_at=np.zeros(particles, dtype=np.int64),
    )
    adaptive = any(option == "warmup" for _, option in meta.control_options)
    warmup = request.warmup(warmup, steps, target_accept, trajectory_length) if adaptive else 0
    run_options = {
        "rtol": rtol,
        "atol": atol,
        "warmup": warmup,
        "target_accept": target_accept,
        "trajectory_length": trajectory_length,
        "replicas": replicas,
        "hottest": hottest,
    }
    if any(option == "replicas" for _, option in meta.control_options):
        request.check_ladder(replicas, hottest, meta.stats)
    for slot, option in meta.control_options:  # e.g. dopri5's tolerances
        state.control[:, slot] = run_options[option]
    fixed = (state.x, p, p_stride, state.streams, state.control, state.stats, state.status, state.failed_at)
    recorded = np.full((particles, capacity, n + 1), np.nan), np.zeros(particles, dtype=np.int64)
    initial = (np.uint64(seed), override, values, data, *recorded, np.int64(first_particle))
    no_saves = np.empty((0, particles, n))
    try:  # the first call compiles the kernel
        with _pool(threads, particles) as pool:
            arguments = (*fixed, float(t0), float(dt), 0, 0, 1, no_saves, *initial)
            if _run_blocks(pool, run_particles, threads, particles, arguments):
                raise KeyboardInterrupt
    except AssertionError as error:
        if not beyond_tuple_limit(error):
            raise
        raise too_large(meta) from None
    kernel.share(run_particles)  # compiled by Numba: a library for the next runs
    request.initial_overrides(names, dict.fromkeys(per_particle, 0.0))  # the names exist
    for name, column in per_particle.items():
        state.x[:, names.index(name)] = column
    if not np.isfinite(state.x).all():
        raise RunError("the initial state is not finite", hint="check the init values and the parameters")
    if params:
        request.check_overrides(
            kernel.numpy, state.x[: p.shape[0]], p, request.parameters(dict(meta.params), {}, 1)[0], params
        )

    n_saves = steps // save_every
    saves = np.empty((n_saves + 1, particles, n))
    saves[0] = state.x
    done, interrupted = 0, False
    bar = Progress(steps, enabled=progress)
    if chunk_steps is not None and chunk_steps < 1:
        raise RunError("chunk_steps must be a positive number of steps")
    chunk = chunk_steps or max(1, 100_000 // particles)  # about a millisecond; grows to CHUNK_SECONDS
    warmed = 0
    try:
        with _CtrlC() as ctrl_c, _pool(threads, particles) as pool:
            # adaptive samplers: warm-up draws, not saved, before the saved steps, in chunks as the steps
            while warmed < warmup and not ctrl_c.pressed and not interrupted:
                count = min(chunk, warmup - warmed)
                started = time.perf_counter()
                arguments = (*fixed, float(t0), float(dt), warmed, count, count + 1, no_saves, *initial)
                interrupted = _run_blocks(pool, run_particles, threads, particles, arguments)
                warmed += count
                if chunk_steps is None:
                    chunk = _next_chunk(chunk, count, time.perf_counter() - started)
            while done < steps and not ctrl_c.pressed and not interrupted:
                count, local_every, rows = _chunk(done, min(chunk, steps - done), save_every)
                first_save = done // save_every + 1
                started = time.perf_counter()
                saves_here = saves[first_save : first_save + rows]
                arguments = (*fixed, float(t0), float(dt), done, count, local_every, saves_here, *initial)
                # a KeyboardInterrupt from a handler other than _CtrlC's: the chunk in flight completes
                interrupted = _run_blocks(pool, run_particles, threads, particles, arguments)
                done += count
                bar.update(done)
                if chunk_steps is None:
                    chunk = _next_chunk(chunk, count, time.perf_counter() - started)
    finally:
        bar.close()
    saved = done // save_every + 1
    times = t0 + np.arange(saved) * (save_every * dt)
    if done % save_every:  # stopped between two saves: keep where it stopped, too
        saves[saved] = state.x
        saved, times = saved + 1, np.append(times, t0 + done * dt)
    result = _result(
        meta, names, state, saves[:saved], times, dt, done, steps, save_every, seed, param_values, model_hash
    )
    result.meta["versions"]["numba"] = _numba_version(run_particles)
    if t0:
        result.meta["t0"] = float(t0)
    if meta.event is not None:
        events.attach(result, meta.event, *recorded)
    if adaptive:
        result.meta["warmup"] = warmed  # fewer than asked when Ctrl-C stopped it
    if "divergences" in meta.stats:
        divergences = state.stats[:, meta.stats.index("divergences")]
        result.meta["divergences_per_chain"] = divergences.astype(int).tolist()
        result.meta["divergences"] = _divergences(meta, names, state, divergences)
    if "replicas" in run_options and "swaps_0" in meta.stats:
        result.meta["ladder"] = ladder(result.meta["stats"], replicas, hottest)
    return result


def _numba_version(run_particles) -> str:
    """The version of Numba that compiled the code that ran."""
    if isinstance(run_particles, Driver):
        return run_particles.built_by["numba"]
    import numba

    return numba.__version__


def _divergences(meta, names: list[str], state: _Particles, counts: np.ndarray) -> list[dict]:
    """Per chain with divergent transitions: how many, the first one's draw
    (1-based, after warm-up) and the state its trajectory started from."""
    if "first_divergent_draw" not in meta.control_reports:
        return []
    draw = state.control[:, meta.control_slots("first_divergent_draw", len(names))[0]]
    start = state.control[:, meta.control_slots("first_divergence_from", len(names))]
    return [
        {
            "chain": int(i),
            "count": int(counts[i]),
            "first_draw": int(draw[i]),
            "from": dict(zip(names, start[i].tolist())),
        }
        for i in np.flatnonzero(counts)
    ]


def ladder(stats: Mapping[str, float], replicas: int, hottest: float) -> dict:
    """A tempering run's ladder: temperatures relative to the model's, and
    the swap rate of each neighbour pair over all chains (NaN: never tried)."""
    ratios = [hottest ** (k / (replicas - 1)) for k in range(replicas)]
    rates = []
    for k in range(replicas - 1):
        tries = stats[f"swap_tries_{k}"]
        rates.append(stats[f"swaps_{k}"] / tries if tries else None)
    return {"replicas": replicas, "hottest": hottest, "temperature_ratios": ratios, "swap_rates": rates}


class _CtrlC:
    """Ctrl-C during a run is noted and acted on after the chunk in flight
    (about CHUNK_SECONDS; a kernel cannot be stopped inside a chunk anyway):
    every particle then stops at the same step. Only where Python's own
    handler would turn SIGINT into KeyboardInterrupt (the main thread, SIGINT
    not ignored)."""

    def __enter__(self):
        self.pressed, self.previous = False, None
        main = threading.current_thread() is threading.main_thread()
        if main and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            self.previous = signal.signal(signal.SIGINT, self._note)
        return self

    def _note(self, signum, frame) -> None:
        self.pressed = True

    def __exit__(self, *exception) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)


def _chunk(done: int, count: int, save_every: int) -> tuple[int, int, int]:
    """(steps, save_every, saves) of the next kernel call from step `done`:
    whole save intervals from a save, or else a piece of one interval that
    saves once if it ends on a save (the kernel counts its saves from its
    first step). So a chunk can be shorter than save_every, and Ctrl-C is
    noticed within a chunk's time however rarely the run saves."""
    into = done % save_every
    if into == 0 and count >= save_every:
        count -= count % save_every
        return count, save_every, count // save_every
    count = min(count, save_every - into)
    if into + count == save_every:
        return count, count, 1
    return count, count + 1, 0  # never reaches a save


def beyond_tuple_limit(error: BaseException) -> bool:
    """Whether Numba failed on a tuple of more than 30 values: on Python
    3.11+ such a tuple is built as a list first, and Numba's rewrite of that
    (peep_hole_list_to_tuple) asserts. Generated tuples are split into sums
    of at most 30 (codegen.integrators.base.tuple_of); this still catches one
    that escapes that, so it is refused with its reason, not a traceback."""
    return any(frame.name == "peep_hole_list_to_tuple" for frame in traceback.extract_tb(error.__traceback__))


def too_large(meta) -> RunError:
    return RunError(
        f"'{meta.model}' with {len(meta.state)} state variables and method {meta.method} is beyond what "
        "Numba compiles: a kernel keeps a particle's state in tuples, and Numba refuses tuples of more than 30 values",
        hint=TUPLE_LIMIT,
    )


def _pool(threads: int, particles: int):
    """The threads that run blocks of particles; none where one thread runs
    them all (_run_blocks calls the kernel directly), so a small warm run
    does not even import them."""
    if threads == 1 or particles < 2:
        return contextlib.nullcontext()
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(max_workers=threads)


def _run_blocks(pool, function, threads: int, particles: int, arguments: tuple) -> bool:
    """Call function(first, end, *arguments) on blocks of particles from
    `threads` threads of `pool` (the kernel releases the GIL). More blocks
    than threads even out particles that cost more (rejections, adaptive
    steps). Which thread runs which block never changes a result.

    Whether a KeyboardInterrupt arrived meanwhile (where Python raises it:
    _CtrlC not installed): a kernel cannot be stopped inside a call, so
    every block is still waited for and the call is complete either way."""
    interrupted = False
    if threads == 1 or particles < 2:
        try:
            function(0, particles, *arguments)
        except KeyboardInterrupt:  # raised once the call returned
            interrupted = True
        return interrupted
    blocks = min(particles, 4 * threads)
    edges = np.linspace(0, particles, blocks + 1).astype(np.int64)
    futures = [pool.submit(function, int(a), int(b), *arguments) for a, b in zip(edges[:-1], edges[1:]) if b > a]
    for future in futures:
        while True:
            try:
                future.result()
                break
            except KeyboardInterrupt:
                interrupted = True
    return interrupted


def _next_chunk(chunk: int, count: int, seconds: float) -> int:
    """Aim for chunks of about CHUNK_SECONDS: progress, and Ctrl-C."""
    if seconds <= 0:
        return chunk * 16
    return max(1, min(chunk * 16, int(count * CHUNK_SECONDS / seconds)))


def _result(
    meta, names, state: _Particles, saves, times, dt, done, steps, save_every, seed, params, model_hash
) -> Result:
    failures = []
    for i in np.flatnonzero(state.status):
        code = str(int(state.status[i]))
        reason = meta.failures.get(code, ["failed", ""])[0]
        step = int(state.failed_at[i])
        failures.append({"particle": int(i), "step": step, "time": step * dt, "reason": reason})
    failures.sort(key=lambda failure: (failure["step"], failure["particle"]))  # the earliest first
    stats = totals(meta.stats, state.stats)
    # a sampler's counters per chain too (for to_arviz), but not the ladder's pairs
    per_chain = [name for name in meta.stats if "proposed" in meta.stats and not name.startswith("swap")]
    info = {
        "model": meta.model,
        "model_hash": model_hash,
        "kind": meta.kind.value,
        "method": meta.method,
        "coordinates": list(meta.coordinates),  # mechanical models: q, and their q' or p
        "conjugates": list(meta.conjugates),
        "dt": float(dt),
        "steps": int(done),
        "save_every": int(save_every),
        "particles": int(state.x.shape[0]),
        "seed": int(seed),
        "params": params,
        "diverged": len(failures),
        "failures": failures[:100],
        "stats": stats,
        "stats_per_chain": {name: state.stats[:, meta.stats.index(name)].tolist() for name in per_chain},
        "complete": done == steps,
        "versions": {"actionc": __version__, "numpy": np.__version__},
    }
    invariants = list(meta.invariants)
    return Result(
        t=times,
        x=saves,
        names=list(names),
        meta=info,
        invariant_names=invariants,
        failed=state.status != 0,
        counters=state.stats[:, : len(meta.stats)],
    )


def totals(names: tuple[str, ...], counters: np.ndarray) -> dict[str, float]:
    """The integrator's counters summed over the particles (in one order:
    a run split into ranges sums the same floats the same way)."""
    stats = {name: float(counters[:, k].sum()) for k, name in enumerate(names)}
    if "accepted" in stats and stats.get("proposed"):
        stats["acceptance_rate"] = stats["accepted"] / stats["proposed"]
    return stats


class Progress:
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
