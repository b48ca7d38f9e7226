"""Ensembles on a Dask cluster (dask.distributed): the particles are split
into ranges of equal size, and one task runs the whole run of one range.

Particle i draws from the stream of (seed, i) wherever it runs (a range is
run by simulate with first_particle), so a distributed run equals the local
one bit for bit, whatever the workers and the range size. Workers get the
kernel's source, never a compiled function: each stores it in its own
kernel cache under its content hash and loads it from there
(codegen.kernel.build: the same trust-checked door as a local run), so
nothing compiled is pickled, and a warm worker loads in milliseconds.

A task that fails says why (a worker that cannot compile the kernel names
itself and its error); a worker that dies has its tasks re-run elsewhere
by Dask (up to its allowed-failures); Ctrl-C cancels what is in flight and
keeps the ranges finished so far from particle 0 on, marked incomplete.
With a Zarr store, workers write their ranges into it (a folder every
worker can reach), so the saves never gather in one memory.
"""

from __future__ import annotations

import contextlib
import logging
import math
import signal
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from actionc.errors import ClusterError, ModelError, RunError
from actionc.run import store as zarr_store
from actionc.run.result import Result, partial_output

if TYPE_CHECKING:
    from actionc.run.compiled import Compiled

# What a task imports before it loads the kernel is kept free of Numba (the
# kernel imports it): a worker without it says so as a ClusterError.

TASKS_PER_THREAD = 4  # ranges per worker thread by default: evens out slow and fast ranges
TASK_MEMORY = 2**28  # bytes of saves one task holds at most (256 MiB), whatever the worker
INSTALL = 'pip install "actionc[dask]"'


@contextlib.contextmanager
def connect(scheduler: str):
    """A dask.distributed Client for `--scheduler`: `local:N` starts a
    LocalCluster of N worker processes (one thread each) for the run and
    stops it after; anything else is the address of a running scheduler."""
    check_scheduler(scheduler)
    from distributed import Client, LocalCluster

    if scheduler.startswith("local:"):
        count = scheduler.removeprefix("local:")
        with (
            LocalCluster(  # its logs stay quiet: a failed task is reported once, by the run
                n_workers=int(count), threads_per_worker=1, dashboard_address=":0", silence_logs=logging.CRITICAL
            ) as cluster,
            Client(cluster) as client,
        ):
            client.register_plugin(_deaf_to_ctrl_c())
            yield client
        return
    try:
        client = Client(scheduler, timeout="10s")
    except (OSError, TimeoutError, ValueError) as error:
        raise ClusterError(
            f"cannot reach the Dask scheduler at {scheduler}: {error}",
            hint="start one with `dask scheduler` (and workers with `dask worker ADDRESS`), or use --scheduler local:N",
        ) from None
    with client:
        yield client


def check_scheduler(scheduler: str) -> None:
    """Refuse, before any work, a --scheduler that cannot be: Dask not
    installed, or local:N without a number of workers."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise RunError("--scheduler needs Dask", hint=INSTALL) from None
    count = scheduler.removeprefix("local:")
    if scheduler.startswith("local:") and not (count.isdigit() and int(count) >= 1):
        raise RunError(f"--scheduler {scheduler}: expected local:N with N ≥ 1 worker processes")


def _deaf_to_ctrl_c():
    """A worker plugin for local:N clusters: a terminal's Ctrl-C goes to the
    whole process group, and would kill the workers with tracebacks; the
    run, which has it too, cancels their tasks instead. (A plugin, so that
    workers the nanny restarts get it too; made here, as Dask is optional.)"""
    from distributed import WorkerPlugin

    class DeafToCtrlC(WorkerPlugin):
        def setup(self, worker) -> None:
            if threading.current_thread() is threading.main_thread():
                signal.signal(signal.SIGINT, signal.SIG_IGN)

    return DeafToCtrlC()


class TaskFailure(Exception):
    """Why a range failed on a worker, as text that pickles whole (a
    RunError's hint would not survive the trip)."""

    def __init__(self, message: str, hint: str | None = None, request: bool = False) -> None:
        super().__init__(message, hint, request)
        self.message, self.hint, self.request = message, hint, request


@dataclass
class _Range:
    """What a task sends back: its range's result, without its saves when a
    store holds them."""

    first: int
    result: Result


def run(
    client,
    compiled: Compiled,
    *,
    dt: float,
    steps: int,
    particles: int = 1,
    params: dict | None = None,
    init: dict | None = None,
    save_every: int = 1,
    invariants: bool = True,
    particles_per_task: int | None = None,
    out: str | None = None,
    progress: bool | None = None,
    **options,
) -> Result:
    """Run `particles` particles on the cluster of `client` in ranges of
    `particles_per_task` (default: about four ranges per worker thread, at
    most TASK_MEMORY of saves each). With `out` (a .zarr path every worker
    can write) the workers write their saves there and the Result returned
    holds the store's meta and arrays read lazily (x is a zarr array).
    Options as simulate's (seed, rtol, warmup, …), except threads."""
    from actionc.run.request import MAX_MEMORY_GB, drawn, share
    from actionc.run.simulate import Progress

    if "threads" in options or "first_particle" in options:
        raise RunError("a distributed run sets threads and first_particle itself, one per task")
    if not isinstance(particles, (int, np.integer)) or particles < 1:
        raise RunError(f"--particles must be a whole number ≥ 1, not {particles!r}")
    if not isinstance(steps, (int, np.integer)) or not isinstance(save_every, (int, np.integer)) or save_every < 1:
        raise RunError("--steps and --save-every must be whole numbers")
    meta = compiled.meta
    saves = steps // save_every + 1
    width = len(meta.state) + (len(meta.invariants) if invariants else 0)
    threads = _threads(client)
    size = particles_per_task or _range_size(particles, threads, saves * width * 8)
    if not isinstance(size, (int, np.integer)) or size < 1:
        raise RunError(f"--particles-per-task must be a whole number ≥ 1, not {size!r}")
    if out is None and saves * particles * width * 8 > MAX_MEMORY_GB * 2**30:
        raise RunError(
            f"the saves of this run would take {saves * particles * width * 8 / 2**30:.1f} GiB here, "
            f"beyond {MAX_MEMORY_GB} GiB",
            hint="--out run.zarr: the workers write their ranges into the store, and nothing gathers here",
        )
    ranges = [(first, min(size, particles - first)) for first in range(0, particles, size)]
    # distributions drawn here, for every particle: a range drawing its own
    # would draw the first values of the stream, those of particles 0, 1, …
    init = drawn(dict(init or {}), compiled.names, options.get("seed", 0), particles)
    store = None
    if out is not None:
        names = list(meta.invariants) if invariants else []
        times = np.arange(saves) * (save_every * dt)
        store = str(
            zarr_store.begin(
                out, t=times, particles=particles, names=compiled.names, invariant_names=names, chunk_particles=size
            )
        )
    # the kernel's source, sent to the cluster once as a task of its own (a
    # task, not scattered data: Dask can recompute it if its worker dies)
    source = client.submit(_kernel_source, compiled.source)
    finished: dict[int, Result] = {}
    futures = [
        client.submit(
            _run_range,
            source,
            compiled.model_hash,
            first,
            count,
            store,
            dict(
                options,
                dt=dt,
                steps=steps,
                save_every=save_every,
                invariants=invariants,
                params=share(params or {}, first, count, particles),
                init=share(init, first, count, particles),
            ),
            pure=False,
        )
        for first, count in ranges
    ]
    bar = Progress(len(ranges), enabled=progress)
    interrupted = False
    try:
        from distributed import as_completed

        for future in as_completed(futures):
            outcome = future.result()
            finished[outcome.first] = outcome.result
            bar.update(len(finished))
    except KeyboardInterrupt:
        interrupted = True
    except BaseException as error:
        client.cancel(futures)
        if store is not None:
            zarr_store.discard(store)
        raise _explained(error) from None
    finally:
        bar.close()
        if interrupted:
            client.cancel(futures)
    kept = []
    for first, _count in ranges:  # the finished ranges from particle 0 on
        if first not in finished:
            break
        kept.append(finished[first])
    if not kept:
        if store is not None:
            zarr_store.discard(store)
        raise KeyboardInterrupt  # nothing finished: as if the run had never started
    result = _merged(kept, meta.stats, complete=not interrupted, requested=particles)
    result.meta["scheduler"] = {
        "address": client.scheduler.address,
        "workers": len(client.scheduler_info()["workers"]),
        "threads": threads,
        "particles_per_task": int(size),
        "tasks": len(ranges),
    }
    if compiled.model_source:
        result.meta["source"] = compiled.model_source
    if store is not None:  # an interrupted run leaves a store already at `out` as it was
        target = out if result.meta["complete"] or not Path(out).exists() else partial_output(out)
        zarr_store.finish(store, target, result.meta, result.meta["particles"])
        return _lazy(target, result)
    return result


def _kernel_source(source: str) -> str:
    return source


def _run_range(source: str, model_hash: str, first: int, count: int, store: str | None, options: dict) -> _Range:
    """A task: load the kernel from its source through this worker's cache,
    run particles first … first + count - 1, and write or return their saves."""
    try:
        from actionc.codegen.kernel import build
        from actionc.run.compiled import Compiled

        kernel = build(source)
    except Exception as error:  # a missing package, a compiler that fails: this worker cannot run it
        raise TaskFailure(
            f"the worker at {_worker_address()} cannot load the kernel: {type(error).__name__}: {error}",
            hint="every worker needs actionc and its dependencies installed, as the machine that compiled the model",
        ) from None
    try:
        result = Compiled(kernel, model_hash).run(
            particles=count, first_particle=first, threads=1, progress=False, **options
        )
    except (ModelError, RunError) as error:  # a bad request: every range fails alike
        raise TaskFailure(getattr(error, "message", str(error)), getattr(error, "hint", None), True) from None
    if store is not None:
        zarr_store.write_range(store, first, result.x, result.invariants)
        result.x, result.invariants = result.x[:, :0], None  # the store holds them
    return _Range(first, result)


def _worker_address() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return socket.gethostname()


def _threads(client) -> int:
    """Worker threads of the cluster; a scheduler without workers is refused, not waited on forever."""
    try:
        client.wait_for_workers(1, timeout=30)
    except TimeoutError:
        raise ClusterError(
            f"the Dask scheduler at {client.scheduler.address} has no workers (waited 30 s)",
            hint="start some with `dask worker ADDRESS`",
        ) from None
    return sum(worker["nthreads"] for worker in client.scheduler_info()["workers"].values())


def _range_size(particles: int, threads: int, bytes_per_particle: int) -> int:
    balanced = math.ceil(particles / (TASKS_PER_THREAD * threads))
    return max(1, min(balanced, TASK_MEMORY // max(1, bytes_per_particle)))


def _explained(error: BaseException) -> BaseException:
    """A task's failure as the error a local run would raise, saying where."""
    if isinstance(error, TaskFailure):
        return RunError(error.message, hint=error.hint) if error.request else ClusterError(error.message, error.hint)
    if isinstance(error, ImportError):  # a task that could not even be unpickled: actionc missing on a worker
        return ClusterError(
            f"a worker cannot run actionc's tasks: {error}",
            hint="every worker needs actionc and its dependencies installed, as the machine that compiled the model",
        )
    if type(error).__name__ == "KilledWorker":
        return ClusterError(
            f"workers died running this run's tasks, more times than Dask's allowed-failures: {error}",
            hint="a worker's memory limit? fewer --particles-per-task, or workers with more memory",
        )
    return error


def _merged(ranges: list[Result], counted: tuple[str, ...], *, complete: bool, requested: int) -> Result:
    """One Result of consecutive ranges, as a local run of them all would
    report it: failures renumbered and the earliest kept, the `counted`
    counters summed over all particles at once (as floats they would
    differ in their last bits if summed by range)."""
    from actionc.run.simulate import ladder as simulate_ladder
    from actionc.run.simulate import totals

    first = ranges[0]
    meta = dict(first.meta)
    offsets = np.cumsum([0] + [r.meta["particles"] for r in ranges])
    failures = [
        dict(failure, particle=failure["particle"] + int(offset))
        for r, offset in zip(ranges, offsets)
        for failure in r.meta["failures"]
    ]
    failures.sort(key=lambda failure: (failure["step"], failure["particle"]))
    counters = np.concatenate([r.counters for r in ranges])
    stats = totals(counted, counters)
    meta |= {
        "particles": int(offsets[-1]),
        "diverged": sum(r.meta["diverged"] for r in ranges),
        "failures": failures[:100],
        "stats": stats,
        "complete": complete and int(offsets[-1]) == requested,
        "params": {
            name: sum((r.meta["params"][name] for r in ranges), []) if isinstance(value, list) else value
            for name, value in first.meta["params"].items()
        },
    }
    if "divergences_per_chain" in meta:
        meta["divergences_per_chain"] = sum((r.meta["divergences_per_chain"] for r in ranges), [])
    if "stats_per_chain" in meta:
        meta["stats_per_chain"] = {
            name: sum((r.meta["stats_per_chain"][name] for r in ranges), []) for name in first.meta["stats_per_chain"]
        }
    if "divergences" in meta:  # each chain's first divergence, chains numbered in the whole run
        meta["divergences"] = [
            dict(report, chain=report["chain"] + int(offset))
            for r, offset in zip(ranges, offsets)
            for report in r.meta["divergences"]
        ]
    if "ladder" in meta:  # tempering's swap rates, from the counters of every chain
        ladder = meta["ladder"]
        meta["ladder"] = simulate_ladder(stats, ladder["replicas"], ladder["hottest"])
    if not meta["complete"]:
        meta["particles_requested"] = requested
    invariants = None
    if first.invariants is not None:
        invariants = np.concatenate([r.invariants for r in ranges], axis=1)
    return Result(
        t=first.t,
        x=np.concatenate([r.x for r in ranges], axis=1),
        names=first.names,
        meta=meta,
        invariant_names=first.invariant_names,
        invariants=invariants,
        failed=np.concatenate([r.failed for r in ranges]),
        counters=counters,
    )


def _lazy(path: str, result: Result) -> Result:
    """The Result of a run written to a store: its arrays read from there when indexed."""
    import zarr

    group = zarr.open_group(str(path), mode="r")
    result.x = group["x"]
    if "invariants" in group:
        result.invariants = group["invariants"]
    return result
