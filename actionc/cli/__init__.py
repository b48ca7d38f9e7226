"""The `actionc` command line: main() and its parser.

Exit status, the same for every command: 0 success, 1 a model or run error
(printed on stderr as FILE:LINE:COL: error: …, never a traceback), 2 bad
usage (unknown command or flag, bad flag value).
"""

from __future__ import annotations

import argparse
import difflib
import functools
import os
import re
import sys
import warnings
from typing import Sequence

from actionc.cli import flags, models, optimize, paths, plots, runs
from actionc.cli.failures import EXIT_OK, EXIT_USAGE
from actionc.version import __version__

# Heavy modules (SymPy, the parser) are imported inside the commands that
# need them: a warm `actionc run` must not import SymPy at all. The commands
# live by concern in models, runs, paths and plots; this module is main()
# and the parser.


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    argv = _join_negative_numbers(sys.argv[1:] if argv is None else list(argv))
    _refuse_unknown_flags(parser, argv)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    shown, warnings.showwarning = warnings.showwarning, _show_warning
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `actionc check … | head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except AssertionError as error:  # compiling a kernel outside `run` (emit, path, …): the same limit
        from actionc.run.simulate import TUPLE_LIMIT, beyond_tuple_limit

        if not beyond_tuple_limit(error):
            raise
        print(f"actionc {args.command}: error: a model this large is beyond what Numba compiles", file=sys.stderr)
        print(f"hint: {TUPLE_LIMIT}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        warnings.showwarning = shown  # main() is also called in-process (tests, scripts)


def _join_negative_numbers(argv: list[str]) -> list[str]:
    """`--dt -1e-3` as `--dt=-1e-3`: argparse takes a token like -1e-3 for
    a flag ("expected one argument"); joined, the value reaches the check
    that says why it is refused."""
    joined: list[str] = []
    for token in argv:
        if joined and joined[-1].startswith("--") and "=" not in joined[-1] and _flag_like_number(token):
            joined[-1] += "=" + token
        else:
            joined.append(token)
    return joined


def _refuse_unknown_flags(parser: argparse.ArgumentParser, argv: list[str]) -> None:
    """A flag the command does not have is refused by that command's parser
    (its usage, a close match), before argparse would report a missing
    required flag instead or show the top-level usage."""
    command = next((token for token in argv if not token.startswith("-")), None)
    commands = parser._subparsers._group_actions[0].choices if parser._subparsers else {}
    if command not in commands:
        return
    sub = commands[command]
    for token in argv[argv.index(command) + 1 :]:
        if token == "--":
            return
        flag = token.split("=", 1)[0]
        if flag.startswith("--") and flag not in sub._option_string_actions:
            close = difflib.get_close_matches(flag, [o for o in sub._option_string_actions if o.startswith("--")], 1)
            sub.error(f"unrecognized flag {flag}" + (f": did you mean {close[0]}?" if close else ""))


def _flag_like_number(token: str) -> bool:
    """A negative number argparse does not read as one (it does -1 and -.5)."""
    try:
        float(token)
    except ValueError:
        return False
    return token.startswith("-") and not re.fullmatch(r"-\d+|-\d*\.\d+", token)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings (an untrusted kernel cache, say) as one line, without Python's source location."""
    print(f"warning: {message}", file=sys.stderr)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="actionc",
        description="A compiler for variational and stochastic dynamics.",
        allow_abbrev=False,  # --step must not pass for --steps
    )
    parser.add_argument("--version", action="version", version=f"actionc {__version__}")
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=functools.partial(argparse.ArgumentParser, allow_abbrev=False)
    )

    check = commands.add_parser("check", help="parse models and print a summary line for each")
    check.add_argument("files", nargs="+", metavar="FILE")
    check.set_defaults(handler=models.check)

    fmt = commands.add_parser("fmt", help="print a model in canonical form")
    fmt.add_argument("files", nargs="+", metavar="FILE")
    mode = fmt.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="exit 1 if a file is not in canonical form")
    mode.add_argument("--write", action="store_true", help="rewrite files in canonical form")
    fmt.set_defaults(handler=models.fmt)

    derive = commands.add_parser("derive", help="print what follows from a model (equations of motion, …)")
    derive.add_argument("file", metavar="FILE")
    derive.add_argument(
        "--what",
        type=flags.comma_list,
        default=None,
        metavar="LIST",
        help="comma-separated derivations, e.g. euler_lagrange,invariants (default: all that apply)",
    )
    derive.add_argument("--format", choices=["json", "latex", "text"], default="text")
    derive.set_defaults(handler=models.derive)

    run = commands.add_parser("run", help="simulate an ensemble of particles")
    run.add_argument("file", metavar="FILE")
    run.add_argument(
        "--method",
        help="integrator (default: the model's natural one); models with data or a density also sample: "
        "reverse-em, pc, pf-rk4, pf-dopri5 (from t = T back to 0)",
    )
    run.add_argument("--dt", type=flags.time_step, help="time step (samplers: default the horizon T over --steps)")
    length = run.add_mutually_exclusive_group(required=True)
    length.add_argument("--steps", type=flags.count, help="number of steps")
    length.add_argument("--t-end", type=flags.positive_float, help="end time (a whole number of steps)")
    run.add_argument("--t0", type=flags.finite_float, default=0.0, help="the start time (default 0)")
    run.add_argument(
        "--particles", type=flags.positive_count, default=1, help="particles (per value of a swept parameter)"
    )
    run.add_argument("--seed", type=flags.count, default=0)
    run.add_argument(
        "--set",
        action="append",
        default=[],
        type=flags.sweep,
        metavar="NAME=VALUE",
        help="override a parameter (repeatable); sweep it with NAME=V1,V2,… or NAME=LOW:HIGH:COUNT: "
        "--particles particles for each value, the summary grouped by value",
    )
    run.add_argument(
        "--init",
        action="append",
        default=[],
        type=flags.initial_value,
        metavar="NAME=VALUE",
        help="set an initial value, velocities as q_dot (repeatable): a number, normal(MEAN, STD) or "
        "uniform(LOW, HIGH)",
    )
    run.add_argument(
        "--save-every",
        type=flags.positive_count,
        metavar="K",
        help="save every K-th step (default: 1 with --out; else about 100 saves, enough for the summary)",
    )
    run.add_argument(
        "--input",
        type=flags.named_file,
        action="append",
        default=[],
        metavar="NAME=FILE",
        help="a data array of an indexed model from .npy, .npz or .csv (default: the file its 'input' names)",
    )
    run.add_argument(
        "--out", metavar="PATH", help="write t, x, names, meta to an .npz file, or to a Zarr store (PATH.zarr)"
    )
    run.add_argument("--threads", type=flags.positive_count, help="worker threads (default: all cores)")
    run.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on a Dask cluster: a scheduler's address (tcp://host:8786), or local:N for N worker processes "
        "started for the run (needs actionc[dask]; docs/scaling.md)",
    )
    run.add_argument(
        "--particles-per-task",
        type=flags.positive_count,
        metavar="N",
        help="with --scheduler: particles of one task (default: about 4 tasks per worker thread)",
    )
    run.add_argument("--rtol", type=flags.positive_float, default=1e-6, help="relative tolerance (dopri5)")
    run.add_argument("--atol", type=flags.positive_float, default=1e-9, help="absolute tolerance (dopri5)")
    run.add_argument(
        "--warmup",
        type=flags.count,
        metavar="N",
        help="warm-up draws, not saved (hmc, nuts, tempering; default: --steps)",
    )
    run.add_argument(
        "--target-accept", type=flags.positive_float, help="acceptance the warm-up aims at (hmc, nuts; 0.8)"
    )
    run.add_argument("--trajectory-length", type=flags.positive_float, help="leapfrog time per draw (hmc; default π/2)")
    events = run.add_mutually_exclusive_group()
    events.add_argument(
        "--until",
        metavar="CONDITION",
        help="stop each particle when CONDITION ('x > 0.9', in the model's names) first holds; records its hitting "
        "time and state, and the summary gives the mean first-passage time and the rate",
    )
    events.add_argument(
        "--section",
        metavar="CONDITION",
        help="record every crossing of a surface where the rest holds ('x = 0, px > 0'): a Poincaré section",
    )
    run.add_argument(
        "--crossings",
        type=flags.positive_count,
        default=1000,
        metavar="K",
        help="--section: crossings kept per particle",
    )
    run.add_argument(
        "--batch", type=flags.positive_count, metavar="B", help="sgld: minibatches of B data rows (docs/learning.md)"
    )
    run.add_argument(
        "--step-decay", type=flags.positive_float, metavar="K", help="sgld: steps dt (1 + k/K)^-0.55 (default constant)"
    )
    run.add_argument("--replicas", type=flags.positive_count, metavar="K", help="temperatures per chain (tempering; 8)")
    run.add_argument(
        "--hottest", type=flags.positive_float, metavar="R", help="hottest temperature over the model's (tempering; 10)"
    )
    run.set_defaults(handler=runs.run)

    optimize.add_parser(commands, flags)
    optimize.add_vi_parser(commands, flags)

    emit = commands.add_parser("emit", help="emit the model's kernels for embedding (C99, a shared library, LLVM IR)")
    emit.add_argument("file", metavar="FILE")
    emit.add_argument(
        "--target",
        choices=["c", "so", "llvm"],
        default="c",
        help="c: NAME.c + NAME.h (C99, libm only); so: libNAME.so + NAME_kernel.h, the compiled kernel "
        "linked standalone; llvm: the LLVM IR of one integrator step",
    )
    emit.add_argument("--out", metavar="DIR", default=".", help="where to write NAME.c and NAME.h (default: .)")
    emit.add_argument("--bake-params", action="store_true", help="write the parameter defaults into the code")
    emit.add_argument(
        "--method",
        help="the integrator of the step in --target so and llvm (default: the model's); for --target c, a "
        "diffusion sampler (reverse-em, pf-rk4) emits the reverse-time SDE or probability flow instead of the model",
    )
    emit.set_defaults(handler=models.emit)

    critical = commands.add_parser("critical", help="minima and saddles of an energy model, with Kramers rates")
    critical.add_argument("file", metavar="FILE")
    critical.add_argument(
        "--box",
        nargs=2,
        type=float,
        metavar=("LOW", "HIGH"),
        default=(-3.0, 3.0),
        help="search box for every coordinate (default: -3 3)",
    )
    critical.add_argument("--set", action="append", default=[], type=flags.assignment, metavar="NAME=VALUE")
    critical.set_defaults(handler=paths.critical)

    action = commands.add_parser("action", help="the action of each saved trajectory of a run")
    action.add_argument("file", metavar="FILE")
    action.add_argument("result", metavar="RESULT.npz")
    action.set_defaults(handler=paths.action)

    path = commands.add_parser(
        "path",
        help="a stationary path with fixed ends (mechanics), or the minimum-energy path between minima (energies)",
    )
    path.add_argument("file", metavar="FILE")
    path.add_argument("--from", dest="start", nargs="+", required=True, type=flags.assignment, metavar="NAME=VALUE")
    path.add_argument("--to", dest="end", nargs="+", required=True, type=flags.assignment, metavar="NAME=VALUE")
    path.add_argument("--t-end", type=float, help="mechanics: the time of the end point (required)")
    path.add_argument("--t0", type=float, default=0.0, help="mechanics: the time of the start point (default 0)")
    path.add_argument("--nodes", type=int, default=200, help="mechanics: steps of the discrete path (default 200)")
    path.add_argument("--rule", choices=["midpoint", "trapezoid"], default="midpoint", help="mechanics: L_d quadrature")
    path.add_argument(
        "--bump", type=float, default=0.0, metavar="A", help="mechanics: guess the line plus A sin(K π s), s in [0, 1]"
    )
    path.add_argument("--mode", type=int, default=1, metavar="K", help="mechanics: K of --bump (default 1)")
    path.add_argument("--guess", metavar="PATH.npz", help="mechanics: start Newton from a saved path")
    path.add_argument("--images", type=int, default=100, help="energies: images of the string (default 100)")
    path.add_argument("--set", action="append", default=[], type=flags.assignment, metavar="NAME=VALUE")
    path.add_argument("--out", metavar="PATH.npz", help="write the path")
    path.set_defaults(handler=paths.path)

    likelihood = commands.add_parser(
        "likelihood", help="log p of each point under a model's data distribution (probability-flow ODE)"
    )
    likelihood.add_argument("file", metavar="FILE")
    likelihood.add_argument("points", metavar="POINTS.npy", help="an array (points × state variables)")
    likelihood.add_argument("--set", action="append", default=[], type=flags.assignment, metavar="NAME=VALUE")
    likelihood.add_argument("--rtol", type=flags.positive_float, default=1e-10, help="dopri5 relative tolerance")
    likelihood.add_argument("--atol", type=flags.positive_float, default=1e-12, help="dopri5 absolute tolerance")
    likelihood.add_argument("--out", metavar="LOGP.npy", help="also write the values")
    likelihood.set_defaults(handler=runs.likelihood)

    density = commands.add_parser(
        "density", help="solve the Fokker–Planck equation of an SDE or energy model on a grid (docs/density.md)"
    )
    density.add_argument("file", metavar="FILE")
    density.add_argument("--grid", metavar="LIST", help="NAME=LOW:HIGH:CELLS,… (default: from the init and energy)")
    density.add_argument(
        "--boundary", metavar="LIST", help="NAME=reflecting|periodic|absorbing,… (default: reflecting)"
    )
    density.add_argument("--t-end", type=flags.positive_float, help="end time")
    density.add_argument("--dt", type=flags.positive_float, help="implicit Euler step (default: t-end/1000)")
    density.add_argument(
        "--save-every", type=flags.positive_count, metavar="K", help="save every K-th step (default: about 100 saves)"
    )
    density.add_argument("--set", action="append", default=[], type=flags.assignment, metavar="NAME=VALUE")
    density.add_argument("--init-density", metavar="P0.npy", help="start from this density on the grid")
    density.add_argument("--stationary", action="store_true", help="also the stationary density (null vector)")
    density.add_argument("--eigenvalues", type=flags.positive_count, metavar="K", help="also the K slowest decay rates")
    density.add_argument("--out", metavar="PATH", help="write t, p, the grid axes, meta to an .npz file")
    density.set_defaults(handler=runs.density)

    plot = commands.add_parser("plot", help="draw a result (.npz from actionc run --out)")
    plot.add_argument("result", metavar="RESULT.npz")
    plot.add_argument(
        "--kind",
        choices=[
            "auto",
            "trajectories",
            "phase",
            "path",
            "histogram",
            "samples",
            "trace",
            "pairs",
            "invariants",
            "section",
            "field",
            "landscape",
            "loss",
        ],  # actionc.plot.KINDS (not imported here: the CLI starts without NumPy's plotting stack)
        default="auto",
    )
    plot.add_argument("--out", metavar="FIG.png", help="default: RESULT_KIND.png next to the result")
    plot.add_argument("--run", metavar="RUN.npz", help="density results: overlay this run's particle histogram")
    plot.set_defaults(handler=plots.plot)
    return parser


if __name__ == "__main__":
    sys.exit(main())
