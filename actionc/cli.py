"""The `actionc` command line.

Exit status, the same for every command: 0 success, 1 a model or run error
(printed on stderr as FILE:LINE:COL: error: …, never a traceback), 2 bad
usage (unknown command or flag, bad flag value).
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path
from typing import Sequence

from actionc.errors import ModelError, RunError
from actionc.version import __version__

# Heavy modules (SymPy, the parser) are imported inside the commands that
# need them: a warm `actionc run` must not import SymPy at all.

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    warnings.showwarning = _show_warning
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `actionc check … | head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings (an untrusted kernel cache, say) as one line, without Python's source location."""
    print(f"warning: {message}", file=sys.stderr)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="actionc",
        description="A compiler for variational and stochastic dynamics.",
    )
    parser.add_argument("--version", action="version", version=f"actionc {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = commands.add_parser("check", help="parse models and print a summary line for each")
    check.add_argument("files", nargs="+", metavar="FILE")
    check.set_defaults(handler=_check)

    fmt = commands.add_parser("fmt", help="print a model in canonical form")
    fmt.add_argument("files", nargs="+", metavar="FILE")
    mode = fmt.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="exit 1 if a file is not in canonical form")
    mode.add_argument("--write", action="store_true", help="rewrite files in canonical form")
    fmt.set_defaults(handler=_fmt)

    derive = commands.add_parser("derive", help="print what follows from a model (equations of motion, …)")
    derive.add_argument("file", metavar="FILE")
    derive.add_argument(
        "--what",
        type=_comma_list,
        default=None,
        metavar="LIST",
        help="comma-separated derivations, e.g. euler_lagrange,invariants (default: all that apply)",
    )
    derive.add_argument("--format", choices=["json", "latex", "text"], default="text")
    derive.set_defaults(handler=_derive)

    run = commands.add_parser("run", help="simulate an ensemble of particles")
    run.add_argument("file", metavar="FILE")
    run.add_argument(
        "--method",
        help="integrator (default: the model's natural one); models with data or a density also sample: "
        "reverse-em, pc, pf-rk4, pf-dopri5 (from t = T back to 0)",
    )
    run.add_argument("--dt", type=_positive_float, help="time step (samplers: default the horizon T over --steps)")
    length = run.add_mutually_exclusive_group(required=True)
    length.add_argument("--steps", type=_count, help="number of steps")
    length.add_argument("--t-end", type=_positive_float, help="end time (a whole number of steps)")
    run.add_argument("--particles", type=_positive_count, default=1)
    run.add_argument("--seed", type=_count, default=0)
    run.add_argument(
        "--set",
        action="append",
        default=[],
        type=_assignment,
        metavar="NAME=VALUE",
        help="override a parameter (repeatable)",
    )
    run.add_argument(
        "--init",
        action="append",
        default=[],
        type=_assignment,
        metavar="NAME=VALUE",
        help="set an initial value, velocities as q_dot (repeatable)",
    )
    run.add_argument(
        "--save-every",
        type=_positive_count,
        metavar="K",
        help="save every K-th step (default: 1 with --out; else about 100 saves, enough for the summary)",
    )
    run.add_argument("--out", metavar="PATH", help="write t, x, names, meta to an .npz file")
    run.add_argument("--threads", type=_positive_count, help="worker threads (default: all cores)")
    run.add_argument("--rtol", type=_positive_float, default=1e-6, help="relative tolerance (dopri5)")
    run.add_argument("--atol", type=_positive_float, default=1e-9, help="absolute tolerance (dopri5)")
    run.add_argument(
        "--warmup", type=_count, metavar="N", help="warm-up draws, not saved (hmc, nuts; default: --steps)"
    )
    run.add_argument("--target-accept", type=_positive_float, help="acceptance the warm-up aims at (hmc, nuts; 0.8)")
    run.add_argument("--trajectory-length", type=_positive_float, help="leapfrog time per draw (hmc; default π/2)")
    run.set_defaults(handler=_run)

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
    emit.set_defaults(handler=_emit)

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
    critical.add_argument("--set", action="append", default=[], type=_assignment, metavar="NAME=VALUE")
    critical.set_defaults(handler=_critical)

    action = commands.add_parser("action", help="the action of each saved trajectory of a run")
    action.add_argument("file", metavar="FILE")
    action.add_argument("result", metavar="RESULT.npz")
    action.set_defaults(handler=_action)

    path = commands.add_parser(
        "path",
        help="a stationary path with fixed ends (mechanics), or the minimum-energy path between minima (energies)",
    )
    path.add_argument("file", metavar="FILE")
    path.add_argument("--from", dest="start", nargs="+", required=True, type=_assignment, metavar="NAME=VALUE")
    path.add_argument("--to", dest="end", nargs="+", required=True, type=_assignment, metavar="NAME=VALUE")
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
    path.add_argument("--set", action="append", default=[], type=_assignment, metavar="NAME=VALUE")
    path.add_argument("--out", metavar="PATH.npz", help="write the path")
    path.set_defaults(handler=_path)

    likelihood = commands.add_parser(
        "likelihood", help="log p of each point under a model's data distribution (probability-flow ODE)"
    )
    likelihood.add_argument("file", metavar="FILE")
    likelihood.add_argument("points", metavar="POINTS.npy", help="an array (points × state variables)")
    likelihood.add_argument("--set", action="append", default=[], type=_assignment, metavar="NAME=VALUE")
    likelihood.add_argument("--rtol", type=_positive_float, default=1e-10, help="dopri5 relative tolerance")
    likelihood.add_argument("--atol", type=_positive_float, default=1e-12, help="dopri5 absolute tolerance")
    likelihood.add_argument("--out", metavar="LOGP.npy", help="also write the values")
    likelihood.set_defaults(handler=_likelihood)

    density = commands.add_parser(
        "density", help="solve the Fokker–Planck equation of an SDE or energy model on a grid (docs/density.md)"
    )
    density.add_argument("file", metavar="FILE")
    density.add_argument("--grid", metavar="LIST", help="NAME=LOW:HIGH:CELLS,… (default: from the init and energy)")
    density.add_argument(
        "--boundary", metavar="LIST", help="NAME=reflecting|periodic|absorbing,… (default: reflecting)"
    )
    density.add_argument("--t-end", type=_positive_float, help="end time")
    density.add_argument("--dt", type=_positive_float, help="implicit Euler step (default: t-end/1000)")
    density.add_argument("--save-every", type=_positive_count, default=1, metavar="K", help="save every K-th step")
    density.add_argument("--set", action="append", default=[], type=_assignment, metavar="NAME=VALUE")
    density.add_argument("--init-density", metavar="P0.npy", help="start from this density on the grid")
    density.add_argument("--stationary", action="store_true", help="also the stationary density (null vector)")
    density.add_argument("--eigenvalues", type=_positive_count, metavar="K", help="also the K slowest decay rates")
    density.add_argument("--out", metavar="PATH", help="write t, p, the grid axes, meta to an .npz file")
    density.set_defaults(handler=_density)

    plot = commands.add_parser("plot", help="draw a result (.npz from actionc run --out)")
    plot.add_argument("result", metavar="RESULT.npz")
    plot.add_argument(
        "--kind", choices=["auto", "trajectories", "phase", "histogram", "samples", "invariants"], default="auto"
    )
    plot.add_argument("--out", metavar="FIG.png", help="default: RESULT_KIND.png next to the result")
    plot.add_argument("--run", metavar="RUN.npz", help="density results: overlay this run's particle histogram")
    plot.set_defaults(handler=_plot)
    return parser


def _critical(args) -> int:

    from actionc.pipeline import compile
    from actionc.run import landscape

    try:
        compiled = compile(args.file)
        params = _known_params(compiled, dict(args.set))
        compiled.function("gradient")
    except AttributeError:  # no gradient among the model's functions
        return _failure("critical", RunError("this needs an energy model with a temperature"), args.file)
    except (ModelError, RunError, OSError) as error:
        return _failure("critical", error, args.file)
    points = landscape.critical_points(compiled, args.box[0], args.box[1], params=params)
    names = compiled.names
    temperature, friction = landscape.temperature_and_friction(compiled, params)
    print(f"{len(points)} critical point(s) in [{args.box[0]:g}, {args.box[1]:g}]^{len(names)}:")
    for k, point in enumerate(points):
        print(f"  [{k}] {point.describe(names)}")
    minima = [p for p in points if p.index == 0]
    saddles = [p for p in points if p.index == 1]
    if minima and saddles:
        print(f"Eyring–Kramers rates at T = {temperature:g}, friction {friction:g} (valid for barriers of several T):")
        for saddle in saddles:
            a, b = landscape.connected_minima(compiled, saddle, minima, params)
            for start, end in ((a, b), (b, a)):
                rate = landscape.kramers_rate(start, saddle, temperature, friction)
                barrier = saddle.energy - start.energy
                print(
                    f"  [{points.index(start)}] -> [{points.index(end)}] over [{points.index(saddle)}]: "
                    f"barrier {barrier:.6g} = {barrier / temperature:.3g} T, rate {rate:.4g}, mean time {1 / rate:.4g}"
                )
    return EXIT_OK


def _action(args) -> int:
    import numpy as np

    from actionc.pipeline import compile
    from actionc.run.actions import actions_of
    from actionc.run.result import Result

    try:
        compiled = compile(args.file)
        result = Result.load(args.result)
        if result.meta.get("model") != compiled.kernel.meta["model"]:
            raise RunError(f"{args.result} is a run of '{result.meta.get('model')}', not of {args.file}")
        values = actions_of(compiled, result)
    except (ModelError, RunError, OSError) as error:
        return _failure("action", error, args.file)
    except (KeyError, ValueError) as error:  # not an npz of actionc run
        return _failure("action", OSError(f"not a result of actionc run ({error})"), args.result)
    quadrature = "trapezoid rule" if "action" in values else "midpoint rule"
    count = result.x.shape[1]
    print(
        f"{result.meta['model']}: actions of {count} {'trajectory' if count == 1 else 'trajectories'} "
        f"over t in [0, {result.t[-1]:g}], {len(result.t)} saves ({quadrature})"
    )
    for name, value in values.items():
        if value.size <= 10:
            print(f"  {name}: " + ", ".join(f"{v:.10g}" for v in value))
        else:
            print(
                f"  {name}: mean {np.mean(value):.6g}, std {np.std(value):.6g}, min {np.min(value):.6g}, "
                f"max {np.max(value):.6g}"
            )
    return EXIT_OK


def _path(args) -> int:
    from actionc.pipeline import compile

    try:
        compiled = compile(args.file)
        params = _known_params(compiled, dict(args.set))
        kind = compiled.kernel.meta["kind"]
        if kind == "lagrangian":
            return _stationary_path(args, compiled, params)
        if "gradient" in compiled.functions:
            return _transition_path(args, compiled, params)
        raise RunError(
            f"'actionc path' needs a lagrangian model or an energy model with a temperature, not a {kind} model",
            hint="for the actions of simulated paths of an SDE, see 'actionc action'",
        )
    except (ModelError, RunError, OSError) as error:
        return _failure("path", error, args.file)


def _known_params(compiled, params: dict) -> dict:
    unknown = set(params) - set(compiled.params)
    if unknown:
        raise RunError(
            f"unknown parameter '{sorted(unknown)[0]}'", hint=f"the parameters are: {', '.join(compiled.params)}"
        )
    return params


def _point_of(names: list[str], given: list[tuple[str, float]], flag: str) -> list[float]:
    values = dict(given)
    unknown = [n for n in values if n not in names]
    missing = [n for n in names if n not in values]
    if unknown or missing:
        what = f"unknown name '{unknown[0]}'" if unknown else f"no value for '{missing[0]}'"
        raise RunError(f"{flag}: {what}", hint=f"give every one of: {', '.join(n + '=VALUE' for n in names)}")
    return [values[n] for n in names]


def _stationary_path(args, compiled, params) -> int:
    import numpy as np

    from actionc.run.result import Result
    from actionc.run.stationary import stationary_path

    names = compiled.names
    coordinates = names[: len(names) // 2]
    start, end = _point_of(coordinates, args.start, "--from"), _point_of(coordinates, args.end, "--to")
    if args.t_end is None:
        raise RunError("a stationary path of a lagrangian model needs --t-end, the time of its end point")
    if args.guess:
        saved = Result.load(args.guess)
        times = saved.t + args.t0

        def guess(t):
            return [np.interp(t, times, saved.x[:, 0, k]) for k in range(len(coordinates))]

    else:
        span = args.t_end - args.t0

        def guess(t):
            s = (t - args.t0) / span
            return [a + (b - a) * s + args.bump * np.sin(args.mode * np.pi * s) for a, b in zip(start, end)]

    path = stationary_path(
        compiled, start, end, args.t_end, t0=args.t0, nodes=args.nodes, guess=guess, rule=args.rule, params=params
    )
    print(f"{compiled.kernel.meta['model']}: {path.summary()}")
    if args.out:
        path.to_result(compiled.kernel.meta["model"], {**compiled.params, **params}, names).save(args.out)
        print(f"wrote {args.out}")
    return EXIT_OK


def _transition_path(args, compiled, params) -> int:
    import numpy as np

    from actionc.run import landscape
    from actionc.run.actions import geometric_action

    names = compiled.names
    start, end = _point_of(names, args.start, "--from"), _point_of(names, args.end, "--to")
    path = landscape.minimum_energy_path(compiled, start, end, images=args.images, params=params)
    temperature, friction = landscape.temperature_and_friction(compiled, params)
    print(
        f"{compiled.kernel.meta['model']}: minimum-energy path, {args.images} images "
        f"(string method, {path.iterations} iterations)"
    )
    for point in path.points:
        print(f"  {point.describe(names)}")
    print(f"  barrier {path.barrier:.6g} = {path.barrier / temperature:.3g} T  (T = {temperature:g})")
    rise = sum(max(0.0, b.energy - a.energy) for a, b in zip(path.points, path.points[1:]))
    action = geometric_action(compiled, path.x, params)
    print(f"  Freidlin–Wentzell action along the path {action:.6g}  (uphill energy / T = {rise / temperature:.6g})")
    for a, saddle, b in zip(path.points[0::2], path.points[1::2], path.points[2::2]):
        rate = landscape.kramers_rate(a, saddle, temperature, friction)
        print(
            f"  Eyring–Kramers rate over the saddle at E = {saddle.energy:.6g}: {rate:.4g} (mean time {1 / rate:.4g}), "
            f"back {landscape.kramers_rate(b, saddle, temperature, friction):.4g}"
        )
    if args.out:
        np.savez(
            args.out,
            x=path.x,
            energy=path.energy,
            arclength=path.arclength,
            names=np.array(names, dtype=np.str_),
            points=np.array([p.x for p in path.points]),
            point_energies=np.array([p.energy for p in path.points]),
            point_kinds=np.array([p.kind for p in path.points], dtype=np.str_),
        )
        print(f"wrote {args.out}")
    return EXIT_OK


def _likelihood(args) -> int:
    import numpy as np

    from actionc.pipeline import log_likelihood

    try:
        try:
            points = np.load(args.points, allow_pickle=False)
        except ValueError as error:
            raise OSError(f"not a NumPy array file ({error})") from None
        values = log_likelihood(args.file, points, params=dict(args.set), rtol=args.rtol, atol=args.atol)
    except (ModelError, RunError) as error:
        return _failure("likelihood", error, args.file)
    except OSError as error:
        return _failure("likelihood", error, args.points)
    print(f"log p of {len(values)} point(s) (probability flow, dopri5, rtol {args.rtol:g}):")
    for point, value in zip(np.atleast_2d(points), values):
        print("  " + ", ".join(f"{v:.6g}" for v in point) + f"  ->  {value:.10g}")
    if args.out:
        np.save(args.out, values)
        print(f"wrote {args.out}")
    return EXIT_OK


def _plot(args) -> int:
    from pathlib import Path

    from actionc.plot import default_kind, plot
    from actionc.run.result import Result

    if _is_density(args.result):
        return _plot_density(args)
    try:
        result = Result.load(args.result)
    except (OSError, ValueError, KeyError) as error:
        print(f"{args.result}: error: not a result of actionc run ({error})", file=sys.stderr)
        return EXIT_ERROR
    kind = default_kind(result) if args.kind == "auto" else args.kind
    out = args.out or str(Path(args.result).with_suffix("")) + f"_{kind}.png"
    try:
        plot(result, kind, out)
    except RunError as error:
        return _failure("plot", error, args.result)
    print(f"wrote {out}", file=sys.stderr)
    return EXIT_OK


def _density(args) -> int:
    import numpy as np

    from actionc.lang import load
    from actionc.methods import decode
    from actionc.pipeline import system
    from actionc.run.density import solve

    if args.t_end is None and not (args.stationary or args.eigenvalues):
        print("actionc density: error: give --t-end, --stationary or --eigenvalues", file=sys.stderr)
        return EXIT_USAGE
    try:
        initial = None
        if args.init_density:
            try:
                initial = np.load(args.init_density, allow_pickle=False)
            except (OSError, ValueError) as error:
                return _failure("density", OSError(f"not a NumPy array file ({error})"), args.init_density)
        model = load(args.file)
        result = solve(
            system(model, decode(None)),
            source=model.source or "",
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
    except (ModelError, RunError, OSError) as error:
        return _failure("density", error, args.file)
    print(result.summary())
    if args.out:
        result.save(args.out)
        cells = " × ".join(map(str, result.grid.shape))
        print(f"wrote {args.out} ({len(result.t)} saves on {cells} cells)", file=sys.stderr)
    return EXIT_OK


def _is_density(path: str) -> bool:
    """A result of actionc density (its meta says so), not of actionc run."""
    import json

    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as data:
            return json.loads(str(data["meta"])).get("command") == "density"
    except (OSError, ValueError, KeyError):
        return False


def _plot_density(args) -> int:
    from actionc.plot import plot_density
    from actionc.run.density import DensityResult
    from actionc.run.result import Result

    try:
        result = DensityResult.load(args.result)
        run = Result.load(args.run) if args.run else None
    except (OSError, ValueError, KeyError) as error:
        print(f"{args.run or args.result}: error: cannot read the result ({error})", file=sys.stderr)
        return EXIT_ERROR
    out = args.out or str(Path(args.result).with_suffix("")) + "_density.png"
    try:
        plot_density(result, out, run)
    except RunError as error:
        return _failure("plot", error, args.result)
    print(f"wrote {out}", file=sys.stderr)
    return EXIT_OK


def _emit(args) -> int:
    from pathlib import Path

    try:
        if args.target in ("llvm", "so"):
            from actionc.pipeline import compile
            from actionc.run.embed import shared_library

            compiled = compile(args.file, args.method)
            if args.target == "llvm":
                sys.stdout.write(compiled.llvm("step"))
            else:
                library, header = shared_library(compiled, args.out, compiled.kernel.meta["model"])
                print(f"wrote {library} and {header}", file=sys.stderr)
            return EXIT_OK
        from actionc.lang import load
        from actionc.pipeline import c_source

        model = load(args.file)
        # a sampler's direction: reverse-em is the Euler–Maruyama step, pf-rk4 the RK4 step, of the emitted drift
        header, source = c_source(model, args.method, bake_params=args.bake_params)
    except (ModelError, RunError, OSError) as error:
        return _failure("emit", error, args.file)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for suffix, text in ((".h", header), (".c", source)):
        (out / f"{model.name}{suffix}").write_text(text, encoding="utf-8")
    print(f"wrote {out / model.name}.h and {out / model.name}.c", file=sys.stderr)
    return EXIT_OK


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (value > 0 and value != float("inf")):
        raise argparse.ArgumentTypeError(f"expected a positive finite number, got {text!r}")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 0, got {text!r}")
    return value


def _positive_count(text: str) -> int:
    value = _count(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 1, got {text!r}")
    return value


def _assignment(text: str) -> tuple[str, float]:
    name, equals, value = text.partition("=")
    if not equals or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number after '=', got {value!r}") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {value!r}")
    return name.strip().replace("'", "_dot"), number


def _summary_save_every(steps: int) -> int:
    """A divisor of steps giving about 100 saves: the summary's invariant
    drift needs some, the memory of a large ensemble needs few."""
    for k in range(max(1, steps // 100), steps + 1):
        if steps % k == 0:
            return k
    return 1


def _run(args) -> int:
    from actionc.methods import decode
    from actionc.pipeline import compile

    if args.dt is None and (not decode(args.method).is_sampler or args.steps is None):
        print("actionc run: error: --dt is required (samplers may give --steps alone)", file=sys.stderr)
        return EXIT_USAGE
    if args.t_end is not None:
        steps = round(args.t_end / args.dt)
        if steps < 1 or abs(steps * args.dt - args.t_end) > 1e-9 * args.t_end:
            print(
                f"actionc run: error: --t-end {args.t_end:g} is not a whole number of steps of --dt {args.dt:g}",
                file=sys.stderr,
            )
            return EXIT_USAGE
    else:
        steps = args.steps
    save_every = args.save_every or (1 if args.out else _summary_save_every(steps))
    try:
        compiled = compile(args.file, args.method)
        dt = args.dt or compiled.horizon(**dict(args.set)) / steps  # a sampler's default: T over the steps
        result = compiled.run(
            dt=dt,
            steps=steps,
            particles=args.particles,
            seed=args.seed,
            params=dict(args.set),
            init=dict(args.init),
            save_every=save_every,
            threads=args.threads,
            rtol=args.rtol,
            atol=args.atol,
            **_sampler_options(args),
        )
    except (ModelError, RunError, OSError) as error:
        return _failure("run", error, args.file)
    if result.diverged:
        first = result.meta["failures"][0]
        print(
            f"warning: {result.diverged} of {result.meta['particles']} particle(s) diverged "
            f"(first: particle {first['particle']} at step {first['step']}, t = {first['time']:g}: {first['reason']}); "
            "they are frozen at their last finite state. Try a smaller --dt or another --method.",
            file=sys.stderr,
        )
    if args.out:
        result.save(args.out)
        print(
            f"wrote {args.out} ({len(result.t)} saves × {result.x.shape[1]} particles × {len(result.names)} state)",
            file=sys.stderr,
        )
    else:
        print(result.summary())
        _print_diagnostics(result)
    if not result.meta["complete"]:
        print("interrupted: the output holds the steps completed so far (meta complete = false)", file=sys.stderr)
        return 130
    return EXIT_OK


def _print_diagnostics(result) -> None:
    """R-hat, ESS and MCSE of a sampling run with several chains."""
    from actionc.run import diagnostics

    if diagnostics.is_sampling_run(result):
        print(diagnostics.summary(result))


def _sampler_options(args) -> dict:
    """The options of the adaptive samplers that were given (else their defaults)."""
    given = {"warmup": args.warmup, "target_accept": args.target_accept, "trajectory_length": args.trajectory_length}
    return {name: value for name, value in given.items() if value is not None}


def _comma_list(text: str) -> list[str]:
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise argparse.ArgumentTypeError("expected a comma-separated list of derivations")
    return items


def _derive(args) -> int:
    from actionc import report
    from actionc.lang import load

    try:
        model = load(args.file)
        results = report.derive(model, args.what)
    except ModelError as error:
        _report(error)
        return EXIT_ERROR
    except report.NotApplicable as error:
        print(f"actionc derive: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    sys.stdout.write(report.FORMATS[args.format](model, results))
    return EXIT_OK


def _report(error: ModelError) -> None:
    print(error, file=sys.stderr)


def _failure(command: str, error: Exception, path: str) -> int:
    """Report an expected failure the one way every command does; return
    its exit status (1 for a model or file error, 2 for a bad request)."""
    if isinstance(error, ModelError):
        _report(error)
        return EXIT_ERROR
    if isinstance(error, RunError):
        print(f"actionc {command}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    reason = error.strerror if isinstance(error, OSError) and error.strerror else error
    print(f"{path}: error: cannot read file: {reason}", file=sys.stderr)
    return EXIT_ERROR


def _check(args) -> int:
    from actionc.lang import load

    status = EXIT_OK
    for path in args.files:
        try:
            model = load(path)
        except ModelError as error:
            _report(error)
            status = EXIT_ERROR
            continue
        print(f"{path}: {summary(model)}")
    return status


def summary(model) -> str:
    """One line: name, kind, variables, parameters with their defaults."""
    if model.kind.is_mechanical:
        variables = "coord " + ", ".join(q.name for q in model.coordinates)
    else:
        variables = "state " + ", ".join(x.name for x in model.state)
    params = ", ".join(f"{p.name}={p.value:g}" for p in model.params) or "none"
    extra = ""
    if model.has_density:  # it can be sampled backwards
        forward = f"forward {model.forward[0]}" if model.forward else "SDE equations"
        density = f"data: {len(model.data)} Gaussian(s)" if model.data else "a given density"
        extra = f"; {forward}, {density}"
    return f"{model.name} ({model.kind.value}) {variables}; param {params}{extra}"


def _fmt(args) -> int:
    from actionc.lang import format_model, load

    if len(args.files) > 1 and not (args.check or args.write):
        print("actionc fmt: error: give one FILE, or use --check or --write for several", file=sys.stderr)
        return EXIT_USAGE
    status = EXIT_OK
    for path in args.files:
        try:
            model = load(path)
        except ModelError as error:
            _report(error)
            status = EXIT_ERROR
            continue
        text = format_model(model)
        if args.check:
            if Path(path).read_text(encoding="utf-8") != text:
                print(f"{path}: not in canonical form (run: actionc fmt --write {path})", file=sys.stderr)
                status = EXIT_ERROR
        elif args.write:
            if Path(path).read_text(encoding="utf-8") != text:
                Path(path).write_text(text, encoding="utf-8")
                print(f"reformatted {path}", file=sys.stderr)
        else:
            sys.stdout.write(text)
    return status


if __name__ == "__main__":
    sys.exit(main())
