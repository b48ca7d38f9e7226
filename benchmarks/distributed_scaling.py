"""The distributed path against the threaded local run, side by side, in
one process run: W1a (overdamped Langevin in the 2-D double well, T = 0.5,
Euler–Maruyama, dt = 1e-3), 10^6 particles × 10^3 steps, the first and
last states saved.

    python benchmarks/distributed_scaling.py [--particles N] [--steps N] [--repeats K]

Needs `pip install "actionc[dask]"`. Reports the best of K rounds, each
round running each of these once (so that a neighbour's load on a shared
machine falls on all of them alike), in wall and in CPU seconds:
  - local runs with 1 and 2 threads, and LocalClusters of 1 and 2 worker
    processes (one thread each, started once, warm: the kernel loaded);
  - the overhead of the distributed path at equal cores (its time over
    the local one, minus 1) and its efficiency per added worker
    (speed-up from 1 to 2 workers, over 2);
  - the cost of one task: 200 tasks of one particle and one step on the
    warm 2-worker cluster (scheduling, transfer, kernel lookup, the run's
    set-up), and the kernel load by a fresh worker process (Numba's cache)
    and by a warm one.
Every distributed run is checked bit-identical to the local one.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

import actionc

EXAMPLE = Path(__file__).parents[1] / "examples" / "double_well.act"


def measured(function, clients=()) -> tuple[float, float, object]:
    """(wall seconds, CPU seconds, value) of one call: the CPU of this
    process (with a LocalCluster's scheduler, which runs in it) and of the
    workers of `clients`. On a shared machine the CPU time is what the
    path costs; the wall time is also what the neighbours took."""
    before = [client.run(time.process_time) for client in clients]
    cpu, start = time.process_time(), time.perf_counter()
    value = function()
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    for client, then in zip(clients, before):
        now = client.run(time.process_time)
        cpu += sum(now[worker] - then[worker] for worker in then)
    return wall, cpu, value


def load_seconds(source: str) -> tuple[float, float]:
    """On a worker: the seconds to load the kernel from its source, the
    first time in this process and again (a task's own lookup)."""
    from actionc.codegen.kernel import build

    start = time.perf_counter()
    build(source)
    first = time.perf_counter() - start
    start = time.perf_counter()
    build(source)
    return first, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--particles", type=int, default=1_000_000)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from distributed import Client, LocalCluster

    model = actionc.compile(EXAMPLE, "euler-maruyama")
    job = dict(dt=1e-3, steps=args.steps, particles=args.particles, seed=1, save_every=args.steps, invariants=False)
    model.run(**dict(job, particles=10))  # compiled and loaded here
    cores = len(os.sched_getaffinity(0))
    print(
        f"W1a: {args.particles:.0e} particles × {args.steps} steps, best of {args.repeats} rounds; {cores} cores here"
    )
    print(f"load average at the start: {os.getloadavg()[0]:.1f}")

    with (
        LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=":0") as one,
        Client(one) as client1,
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as two,
        Client(two) as client2,
    ):
        load = client2.run(load_seconds, model.source)  # fresh worker processes: before any task
        for client in (client1, client2):  # warm: every worker has loaded the kernel
            model.run(client=client, **dict(job, particles=20))
        runs = {
            "local 1": (lambda: model.run(threads=1, **job), ()),
            "local 2": (lambda: model.run(threads=2, **job), ()),
            "dask 1": (lambda: model.run(client=client1, **job), (client1,)),
            "dask 2": (lambda: model.run(client=client2, **job), (client2,)),
        }
        wall, cpu, reference = {name: [] for name in runs}, {name: [] for name in runs}, None
        for _ in range(args.repeats):  # rounds, each of every run: the neighbours' load falls on all alike
            for name, (function, clients) in runs.items():
                seconds, used, result = measured(function, clients)
                wall[name].append(seconds)
                cpu[name].append(used)
                reference = result.x if reference is None else reference
                assert np.array_equal(result.x, reference), f"{name} differs from the local run"
        tiny = dict(job, particles=200, steps=1, save_every=1)
        model.run(client=client2, particles_per_task=1, **tiny)
        task = min(
            measured(lambda: model.run(client=client2, particles_per_task=1, **tiny), (client2,))[:2]
            for _ in range(args.repeats)
        )
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")

    best = {name: min(values) for name, values in wall.items()}
    least = {name: min(values) for name, values in cpu.items()}
    rate = args.particles * args.steps
    print(f"\n{'run':<10} {'wall s':>8} {'CPU s':>8} {'particle-steps/s':>17}  (wall of every round)")
    for name in runs:
        rounds = ", ".join(f"{w:.2f}" for w in wall[name])
        print(f"{name:<10} {best[name]:>8.2f} {least[name]:>8.2f} {rate / best[name]:>17.3g}  ({rounds})")
    for n in (1, 2):
        print(
            f"overhead of the distributed path at {n} core(s): wall {best[f'dask {n}'] / best[f'local {n}'] - 1:+.1%}, "
            f"CPU {least[f'dask {n}'] / least[f'local {n}'] - 1:+.1%}"
        )
    print(f"efficiency per added worker (dask 1 → 2, wall): {best['dask 1'] / best['dask 2'] / 2:.2f}")
    print(f"the machine's own, local threads 1 → 2 (wall):  {best['local 1'] / best['local 2'] / 2:.2f}")
    wall_task, cpu_task = task
    print(
        f"cost per task (200 one-particle tasks, warm 2-worker cluster): {wall_task / 200 * 2 * 1e3:.1f} ms of a "
        f"worker's wall time, {cpu_task / 200 * 1e3:.1f} ms of CPU (workers, scheduler and client together)"
    )
    for address, (first, again) in sorted(load.items()):
        print(
            f"kernel load on {address}: fresh process {first * 1e3:.0f} ms (importing Numba too), "
            f"warm {again * 1e3:.2f} ms"
        )


if __name__ == "__main__":
    main()
