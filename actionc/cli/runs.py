"""Commands that run a model: run (ensembles), density (Fokker–Planck on a grid), likelihood."""

from __future__ import annotations

import sys

from actionc.cli.failures import EXIT_ERROR, EXIT_OK, EXIT_USAGE, failure
from actionc.errors import ClusterError, ModelError, OutputError, RunError

MAX_STEPS = 2**62  # step counters are 64-bit integers in the kernels


def run(args) -> int:
    import numpy as np

    from actionc.methods import decode
    from actionc.pipeline import compile
    from actionc.run.result import check_output, partial_output
    from actionc.run.store import check_output as check_store
    from actionc.run.store import is_store
    from actionc.run.summary import batch_size

    if args.method == "sgld":  # stochastic gradients: not a kernel's integrator (actionc.run.sgld)
        from actionc.cli.optimize import sgld_command

        return sgld_command(args)
    if args.batch is not None or args.step_decay is not None:
        print("actionc run: error: --batch and --step-decay are for --method sgld", file=sys.stderr)
        return EXIT_USAGE
    if args.dt is None and (not decode(args.method).is_sampler or args.steps is None):
        print("actionc run: error: --dt is required (samplers may give --steps alone)", file=sys.stderr)
        return EXIT_USAGE
    if args.t_end is not None:
        steps = round(min(args.t_end / args.dt, MAX_STEPS))  # 1e300 / 1e-300 is inf
        if steps < MAX_STEPS and (steps < 1 or abs(steps * args.dt - args.t_end) > 1e-9 * args.t_end):
            print(
                f"actionc run: error: --t-end {args.t_end:g} is not a whole number of steps of --dt {args.dt:g}",
                file=sys.stderr,
            )
            return EXIT_USAGE
    else:
        steps = args.steps
    if steps >= MAX_STEPS:
        print("actionc run: error: too many steps (at most 2^62 - 1): a larger --dt or a shorter run", file=sys.stderr)
        return EXIT_USAGE
    if args.scheduler and args.threads:
        print("actionc run: error: --threads is for local runs; a Dask worker's threads are its own", file=sys.stderr)
        return EXIT_USAGE
    if args.particles_per_task and not args.scheduler:
        print("actionc run: error: --particles-per-task needs --scheduler", file=sys.stderr)
        return EXIT_USAGE
    if args.scheduler:
        from actionc.run.distributed import check_scheduler

        try:
            check_scheduler(args.scheduler)
        except RunError as error:
            return failure("run", error, args.file)
    replacing = False
    if args.out:
        try:  # before the run, so that no work is lost to an output that cannot be written
            replacing = (check_store(args.out) if is_store(args.out) else check_output(args.out)).exists()
        except OutputError as error:
            return failure("run", error, args.out)
    save_every = args.save_every or (1 if args.out else None)  # None: about 100 saves, for the summary
    params, particles = _swept(dict(args.set), args.particles)
    try:
        compiled = compile(args.file, args.method, until=args.until, section=args.section)
        # a sampler's default: T over the steps
        dt = args.dt or compiled.horizon(**{k: v for k, v in params.items() if np.ndim(v) == 0}) / steps
        options = dict(
            dt=dt,
            steps=steps,
            particles=particles,
            seed=args.seed,
            params=params,
            init=dict(args.init),
            save_every=save_every,
            t0=args.t0,
            crossings=args.crossings,
            rtol=args.rtol,
            atol=args.atol,
            inputs=dict(args.input) or None,
            **_sampler_options(args),
        )
        if args.scheduler:
            options.pop("inputs")  # indexed models are refused there
            options.pop("crossings")
            result = _distributed(compiled, args, options)
        else:
            batch = particles if args.out else batch_size(compiled, particles=particles, steps=steps, params=params)
            if batch < particles:
                return _summarized(compiled, batch, threads=args.threads, **options)
            result = compiled.run(threads=args.threads, **options)
    except (ModelError, RunError, OSError, OutputError, ClusterError) as error:
        return failure("run", error, args.file)
    except KeyboardInterrupt:  # while compiling, or before a distributed run's first range of particles finished
        print("interrupted before there was anything to write", file=sys.stderr)
        return 130
    except MemoryError:
        print(
            "actionc run: error: out of memory",
            "hint: fewer --particles, or fewer saves (a larger --save-every)",
            sep="\n",
            file=sys.stderr,
        )
        return EXIT_ERROR
    if result.diverged:
        _warn_diverged(result.diverged, result.meta["particles"], result.meta["failures"][0])
    complete = result.meta["complete"]
    if args.out:
        out = args.out if complete or not replacing else partial_output(args.out)
        try:
            if not (args.scheduler and is_store(out)):  # else the workers wrote it
                result.save(out)
        except OutputError as error:
            failure("run", error, str(out))
            print(result.summary())
            print(
                "the result above was computed but not written; the same command with --out where it can be "
                "written gives the same result (the same --seed, the same numbers)",
                file=sys.stderr,
            )
            return EXIT_ERROR
        print(
            f"wrote {out} ({len(result.t)} saves × {result.x.shape[1]} particles × {len(result.names)} state)",
            file=sys.stderr,
        )
    else:
        print(result.summary())
        _print_diagnostics(result)
    if not complete:
        kept = f"; {args.out} is left as it was" if args.out and replacing else ""
        print(
            f"interrupted: the output holds the steps completed so far (meta complete = false){kept}", file=sys.stderr
        )
        return 130
    return EXIT_OK


def _summarized(compiled, batch: int, **options) -> int:
    """A summary-only run too large to hold at once, run and summarized in
    batches of particles (actionc.run.summary)."""
    from actionc.run.summary import run_in_batches

    summary, failure = run_in_batches(compiled, batch=batch, **options)
    if failure:
        _warn_diverged(summary.diverged, summary.particles, failure)
    print(summary.text(of=options["particles"]))
    if summary.particles < options["particles"]:
        print(f"interrupted after {summary.particles} of {options['particles']} particles", file=sys.stderr)
        return 130
    return EXIT_OK


def _warn_diverged(diverged: int, particles: int, first: dict) -> None:
    print(
        f"warning: {diverged} of {particles} particle(s) diverged "
        f"(first: particle {first['particle']} at step {first['step']}, t = {first['time']:g}: {first['reason']}); "
        "they are frozen at their last finite state. Try a smaller --dt or another --method.",
        file=sys.stderr,
    )


def _swept(values: dict, particles: int) -> tuple[dict, int]:
    """--set NAME=V1,V2,… as per-particle parameters: `particles` particles
    for each value, over every combination of the swept parameters (the
    first one slowest); the total number of particles."""
    import itertools

    import numpy as np

    swept = {name: value for name, value in values.items() if isinstance(value, tuple)}
    if not swept:
        return values, particles
    grid = np.array(list(itertools.product(*swept.values())))  # (combinations, swept)
    rows = np.repeat(grid, particles, axis=0)
    columns = {name: rows[:, k] for k, name in enumerate(swept)}
    return {**values, **columns}, len(rows)


def _distributed(compiled, args, options: dict):
    """The run on the Dask cluster of --scheduler; with a .zarr --out, its
    workers write the store (and an interrupted run its .partial store)."""
    from actionc.run.distributed import connect
    from actionc.run.store import is_store

    store = args.out if args.out and is_store(args.out) else None
    with connect(args.scheduler) as client:
        return compiled.run(
            client=client,
            particles_per_task=args.particles_per_task,
            out=store,
            **options,
        )


def _print_diagnostics(result) -> None:
    """R-hat, ESS and MCSE of a sampling run with several chains."""
    from actionc.run import diagnostics

    if diagnostics.is_sampling_run(result):
        print(diagnostics.summary(result))


def _sampler_options(args) -> dict:
    """The options of the adaptive samplers that were given (else their defaults)."""
    given = {"warmup": args.warmup, "target_accept": args.target_accept, "trajectory_length": args.trajectory_length}
    given |= {"replicas": args.replicas, "hottest": args.hottest}
    return {name: value for name, value in given.items() if value is not None}


def density(args) -> int:
    import numpy as np

    from actionc.pipeline import density
    from actionc.run.result import check_output

    if args.t_end is None and not (args.stationary or args.eigenvalues):
        print("actionc density: error: give --t-end, --stationary or --eigenvalues", file=sys.stderr)
        return EXIT_USAGE
    try:
        if args.out:
            check_output(args.out)  # before the work
        initial = None
        if args.init_density:
            try:
                initial = np.load(args.init_density, allow_pickle=False)
            except (OSError, ValueError) as error:
                return failure("density", OSError(f"not a NumPy array file ({error})"), args.init_density)
            if not isinstance(initial, np.ndarray):  # an .npz archive
                initial.close()
                return failure(
                    "density", OSError("an .npz archive, not one array: save it with numpy.save"), args.init_density
                )
        result = density(
            args.file,
            t_end=args.t_end,
            dt=args.dt,
            save_every=args.save_every,
            grid=args.grid,
            boundary=args.boundary,
            params=dict(args.set),
            initial=initial,
            stationary=args.stationary,
            eigenvalues=args.eigenvalues or 0,
        )
    except (ModelError, RunError, OutputError, OSError) as error:
        return failure("density", error, args.file)
    print(result.summary())
    if args.out:
        try:
            result.save(args.out)
        except OutputError as error:
            return failure("density", error, args.out)
        cells = " × ".join(map(str, result.grid.shape))
        print(f"wrote {args.out} ({len(result.t)} saves on {cells} cells)", file=sys.stderr)
    return EXIT_OK


def likelihood(args) -> int:
    import numpy as np

    from actionc.pipeline import log_likelihood
    from actionc.run.result import check_output, write_atomically

    try:
        if args.out:
            check_output(args.out)  # before the work
        try:
            points = np.load(args.points, allow_pickle=False)
        except ValueError as error:
            raise OSError(f"not a NumPy array file ({error})") from None
        values = log_likelihood(args.file, points, params=dict(args.set), rtol=args.rtol, atol=args.atol)
    except (ModelError, RunError, OutputError) as error:
        return failure("likelihood", error, args.file)
    except OSError as error:
        return failure("likelihood", error, args.points)
    print(f"log p of {len(values)} point(s) (probability flow, dopri5, rtol {args.rtol:g}):")
    for point, value in zip(np.atleast_2d(points), values):
        print("  " + ", ".join(f"{v:.6g}" for v in point) + f"  ->  {value:.10g}")
    if args.out:
        try:
            write_atomically(args.out, lambda handle: np.save(handle, values))
        except OutputError as error:
            return failure("likelihood", error, args.out)
        print(f"wrote {args.out}")
    return EXIT_OK
