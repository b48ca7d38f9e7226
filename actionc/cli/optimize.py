"""`actionc optimize`: the minima of an energy model, from many starts."""

from __future__ import annotations

import sys

from actionc.cli.failures import EXIT_ERROR, EXIT_OK, failure
from actionc.errors import ModelError, OutputError, RunError


def add_parser(commands, flags) -> None:
    optimize = commands.add_parser(
        "optimize", help="minima of an energy model from many starts (gd, momentum, nesterov, adam, newton, lbfgs)"
    )
    optimize.add_argument("file", metavar="FILE")
    optimize.add_argument(
        "--method",
        default="lbfgs",
        choices=["gd", "momentum", "nesterov", "adam", "newton", "lbfgs", "sgd"],  # actionc.run.optimize.METHODS
        help="the optimizer (default lbfgs); docs/learning.md says which flow each one discretizes",
    )
    optimize.add_argument("--particles", type=flags.positive_count, default=1, help="starts, drawn from the init")
    optimize.add_argument("--seed", type=flags.count, default=0)
    optimize.add_argument("--max-iter", type=flags.positive_count, default=10_000, metavar="N")
    optimize.add_argument("--tol", type=flags.positive_float, default=1e-6, help="stop when ‖∇E‖₂ ≤ TOL (1e-6)")
    optimize.add_argument(
        "--lr", type=flags.positive_float, help="step size (momentum, nesterov: required; gd: else a line search)"
    )
    optimize.add_argument(
        "--momentum",
        type=flags.finite_float,
        help="β of momentum (0.9), a constant μ of nesterov (default (k−1)/(k+2)), β₁ of adam (0.9)",
    )
    optimize.add_argument("--memory", type=flags.positive_count, default=10, help="lbfgs: pairs kept (10)")
    optimize.add_argument("--set", action="append", default=[], type=flags.assignment, metavar="NAME=VALUE")
    optimize.add_argument(
        "--init",
        action="append",
        default=[],
        type=flags.initial_value,
        metavar="NAME=VALUE",
        help="a start value: a number, normal(MEAN, STD) or uniform(LOW, HIGH) drawn per particle",
    )
    optimize.add_argument("--input", type=flags.named_file, action="append", default=[], metavar="NAME=FILE")
    optimize.add_argument(
        "--save-every", type=flags.positive_count, metavar="K", help="keep the path every K iterations (about 100)"
    )
    optimize.add_argument(
        "--no-hessian", action="store_true", help="skip the Hessian eigenvalues and Laplace approximation"
    )
    optimize.add_argument(
        "--group-tol",
        type=flags.positive_float,
        default=1e-4,
        help="end points within TOL·(1 + |x|) are one minimum (1e-4)",
    )
    optimize.add_argument(
        "--batch",
        type=flags.positive_count,
        metavar="B",
        help="sgd, momentum, nesterov, adam: minibatches of B data rows (an unbiased gradient; no stop by its norm)",
    )
    optimize.add_argument("--out", metavar="PATH", help="write the paths and minima (.npz; actionc plot draws them)")
    optimize.set_defaults(handler=optimize_command)


def optimize_command(args) -> int:
    from actionc.run.optimize import report
    from actionc.run.result import check_output

    try:
        if args.out:
            check_output(args.out)  # before the work
        compiled = _minimizable(args.file)
        result = compiled.optimize(
            args.method,
            particles=args.particles,
            seed=args.seed,
            params=dict(args.set),
            init=dict(args.init),
            inputs=dict(args.input) or None,
            max_iter=args.max_iter,
            tol=args.tol,
            lr=args.lr,
            momentum=args.momentum,
            memory=args.memory,
            save_every=args.save_every,
            hessian=not args.no_hessian,
            group_tol=args.group_tol,
            batch=args.batch,
        )
    except (ModelError, RunError, OutputError, OSError) as error:
        return failure("optimize", error, args.file)
    print(report(result))
    saved = f"{len(result.t)} saves × {result.x.shape[1]} particles"
    if args.out and not _written(result, args.out, "optimize", saved):
        return EXIT_ERROR
    stopped = result.meta["optimize"]["status"]
    if "diverged" in stopped:
        print(
            f"warning: {stopped.count('diverged')} start(s) diverged (frozen at their last finite point); "
            "try a smaller --lr",
            file=sys.stderr,
        )
    if "converged" not in stopped:
        print("warning: no start converged: more --max-iter, or another --method", file=sys.stderr)
    return EXIT_OK


def _written(result, out: str, command: str, what: str) -> bool:
    """Save the result at --out, saying so; a failure said as the command's error."""
    try:
        result.save(out)
    except OutputError as error:
        failure(command, error, out)
        return False
    print(f"wrote {out} ({what})", file=sys.stderr)
    return True


def _minimizable(path: str):
    """The model's kernel; for a model with a density but no energy (a
    diffusion model, `density = …`), its reverse-time sampler's, which
    carries log p and the score at every time."""
    from actionc.pipeline import compile

    compiled = compile(path)
    if compiled.has("energy"):
        return compiled
    try:
        return compile(path, "reverse-em")
    except ModelError:  # not a model with a density: optimize says what it needs
        return compiled


def add_vi_parser(commands, flags) -> None:
    vi = commands.add_parser(
        "vi", help="variational inference: the Gaussian nearest to exp(-E/T) in KL, by the Bures–Wasserstein flow"
    )
    vi.add_argument("file", metavar="FILE")
    vi.add_argument("--family", choices=["gaussian", "diagonal"], default="gaussian", help="full Σ, or mean field")
    vi.add_argument(
        "--start", choices=["laplace", "init"], default="laplace", help="from the Laplace approximation or the init"
    )
    vi.add_argument("--max-steps", type=flags.positive_count, default=100_000, metavar="N")
    vi.add_argument("--tol", type=flags.positive_float, default=1e-8, help="stop when |μ'| and |Σ'| ≤ TOL (1e-8)")
    vi.add_argument("--lr", type=flags.positive_float, default=0.2, help="the step, a fraction of 1/λ_max (0.2)")
    vi.add_argument("--seed", type=flags.count, default=0)
    vi.add_argument("--set", action="append", default=[], type=flags.assignment, metavar="NAME=VALUE")
    vi.add_argument("--init", action="append", default=[], type=flags.initial_value, metavar="NAME=VALUE")
    vi.add_argument("--input", type=flags.named_file, action="append", default=[], metavar="NAME=FILE")
    vi.add_argument("--save-every", type=flags.positive_count, metavar="K", help="keep μ and the ELBO every K steps")
    vi.add_argument("--out", metavar="PATH", help="write μ along the flow, with μ, Σ and the ELBO in its meta (.npz)")
    vi.set_defaults(handler=vi_command)


def vi_command(args) -> int:
    from actionc.run.result import check_output
    from actionc.run.vi import report

    try:
        if args.out:
            check_output(args.out)
        compiled = _minimizable(args.file)
        result = compiled.vi(
            args.family,
            seed=args.seed,
            params=dict(args.set),
            init=dict(args.init),
            inputs=dict(args.input) or None,
            start=args.start,
            max_steps=args.max_steps,
            tol=args.tol,
            lr=args.lr,
            save_every=args.save_every,
        )
    except (ModelError, RunError, OutputError, OSError) as error:
        return failure("vi", error, args.file)
    print(report(result))
    if args.out and not _written(result, args.out, "vi", "μ along the flow"):
        return EXIT_ERROR
    return EXIT_OK


def sgld_command(args) -> int:
    """`actionc run --method sgld`: the run's flags, and --batch."""
    from actionc.pipeline import compile
    from actionc.run.result import check_output

    if args.batch is None or args.dt is None or args.steps is None:
        print("actionc run: error: --method sgld needs --batch, --dt and --steps", file=sys.stderr)
        return 2
    try:
        if args.out:
            check_output(args.out)
        compiled = compile(args.file)
        result = compiled.sgld(
            dt=args.dt,
            steps=args.steps,
            batch=args.batch,
            particles=args.particles,
            seed=args.seed,
            params=dict(args.set),
            init=dict(args.init),
            inputs=dict(args.input) or None,
            save_every=args.save_every,
            decay=args.step_decay,
        )
    except (ModelError, RunError, OutputError, OSError) as error:
        return failure("run", error, args.file)
    if args.out:
        try:
            result.save(args.out)
        except OutputError as error:
            return failure("run", error, args.out)
        print(f"wrote {args.out} ({len(result.t)} saves × {result.x.shape[1]} particles)", file=sys.stderr)
    else:
        print(result.summary())
    return EXIT_OK
