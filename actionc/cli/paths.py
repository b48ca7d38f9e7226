"""Commands on paths and landscapes: critical (minima, saddles, rates), action, path."""

from __future__ import annotations

import sys

from actionc.cli.failures import EXIT_OK, failure
from actionc.errors import ModelError, OutputError, ResultFileError, RunError
from actionc.kinds import Kind


def critical(args) -> int:
    from actionc.pipeline import compile
    from actionc.run import landscape

    try:
        compiled = compile(args.file)
        compiled.scalar_only("actionc critical")
        params = _known_params(compiled, dict(args.set))
        surface = landscape.landscape_of(compiled)
    except (ModelError, RunError, OSError) as error:
        return failure("critical", error, args.file)
    points = landscape.critical_points(surface, args.box[0], args.box[1], params=params)
    names = surface.names
    temperature, friction = landscape.temperature_and_friction(surface, params)
    inertial = getattr(surface, "inertial", False)
    what = "V(q) of the underdamped Langevin dynamics" if inertial else "E"
    print(f"{len(points)} critical point(s) of {what} in [{args.box[0]:g}, {args.box[1]:g}]^{len(names)}:")
    for k, point in enumerate(points):
        print(f"  [{k}] {point.describe(names)}")
    minima = [p for p in points if p.index == 0]
    saddles = [p for p in points if p.index == 1]
    if minima and saddles and inertial:
        _inertial_rates(surface, points, minima, saddles, temperature, params)
    elif minima and saddles:
        print(f"Eyring–Kramers rates at T = {temperature:g}, friction {friction:g} (valid for barriers of several T):")
        for saddle in saddles:
            a, b = landscape.connected_minima(surface, saddle, minima, params)
            for start, end in ((a, b), (b, a)):
                rate = landscape.kramers_rate(start, saddle, temperature, friction)
                barrier = saddle.energy - start.energy
                print(
                    f"  [{points.index(start)}] -> [{points.index(end)}] over [{points.index(saddle)}]: "
                    f"barrier {barrier:.6g} = {barrier / temperature:.3g} T, rate {rate:.4g}, mean time {1 / rate:.4g}"
                )
    return EXIT_OK


def _inertial_rates(surface, points, minima, saddles, temperature, params) -> None:
    """Kramers' inertial rate of each hop, with the overdamped formula beside it."""
    from actionc.run import landscape

    mass, friction = surface.mass_and_friction(params)
    print(
        f"Kramers rates (inertial, moderate to high friction) at T = {temperature:g}, "
        f"friction rate R/M = {friction[0, 0] / mass[0, 0]:g}; valid for barriers of several T; "
        "the overdamped formula (γ = R) beside:"
    )
    for saddle in saddles:
        a, b = landscape.connected_minima(surface, saddle, minima, params)
        growth = landscape.inertial_growth(saddle.hessian, mass, friction)
        for start, end in ((a, b), (b, a)):
            rate = landscape.kramers_rate(start, saddle, temperature, friction, mass=mass)
            overdamped = landscape.kramers_rate(start, saddle, temperature, friction)
            barrier = saddle.energy - start.energy
            print(
                f"  [{points.index(start)}] -> [{points.index(end)}] over [{points.index(saddle)}]: "
                f"barrier {barrier:.6g} = {barrier / temperature:.3g} T, rate {rate:.4g}, mean time {1 / rate:.4g} "
                f"(growth λ₊ = {growth:.4g} at the saddle; overdamped {overdamped:.4g})"
            )


def action(args) -> int:
    import numpy as np

    from actionc.pipeline import compile
    from actionc.run.actions import actions_of
    from actionc.run.result import Result

    try:
        result = Result.load(args.result)
    except (ResultFileError, OSError) as error:
        return failure("action", error, args.result)
    try:
        compiled = compile(args.file)
        compiled.scalar_only("actionc action")
        if result.meta["model"] != compiled.meta.model:
            raise RunError(f"{args.result} is a run of '{result.meta['model']}', not of {args.file}")
        values = actions_of(compiled, result)
    except (ModelError, RunError, OSError) as error:
        return failure("action", error, args.file)
    quadrature = "trapezoid rule" if "action" in values else "midpoint rule"
    count = result.x.shape[1]
    print(
        f"{result.meta['model']}: actions of {count} {'trajectory' if count == 1 else 'trajectories'} "
        f"over t in [{result.t[0]:g}, {result.t[-1]:g}], {len(result.t)} saves ({quadrature})"
    )
    if "action" in values and (compiled.meta.forces or compiled.has("friction_matrix")):
        print(
            f"note: '{compiled.meta.model}' has dissipation or forces: this is ∫ L dt of its Lagrangian alone, "
            "which its motion does not make stationary (Lagrange–d'Alembert adds the work of the forces)",
            file=sys.stderr,
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


def path(args) -> int:
    from actionc.pipeline import compile
    from actionc.run.result import check_output

    try:
        if args.out:
            check_output(args.out)  # before the work
        compiled = compile(args.file)
        compiled.scalar_only("actionc path")
        params = _known_params(compiled, dict(args.set))
        kind = compiled.meta.kind
        if compiled.has("gradient") or compiled.has("potential_gradient"):  # energies, underdamped Langevin
            return _transition_path(args, compiled, params)
        if kind is Kind.LAGRANGIAN:
            return _stationary_path(args, compiled, params)
        raise RunError(
            f"'actionc path' needs a lagrangian model or an energy model with a temperature, not a {kind} model",
            hint="for the actions of simulated paths of an SDE, see 'actionc action'",
        )
    except ResultFileError as error:
        return failure("path", error, args.guess)
    except (ModelError, RunError, OutputError, OSError) as error:
        return failure("path", error, args.file)


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

    from actionc.run.stationary import stationary_path

    names = compiled.names
    coordinates = list(compiled.meta.coordinates)
    start, end = _point_of(coordinates, args.start, "--from"), _point_of(coordinates, args.end, "--to")
    if args.t_end is None:
        raise RunError("a stationary path of a lagrangian model needs --t-end, the time of its end point")
    if args.guess:
        saved = _saved_path(args.guess, coordinates)
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
    print(f"{compiled.meta.model}: {path.summary()}")
    if args.out:
        path.to_result(compiled.meta.model, {**compiled.params, **params}, names).save(args.out)
        print(f"wrote {args.out}")
    return EXIT_OK


def _saved_path(path: str, coordinates: list[str]):
    """A result to start a stationary path from (--guess): one whose state
    begins with the model's coordinates."""
    from actionc.run.result import Result

    try:
        saved = Result.load(path)
    except OSError as error:
        raise ResultFileError(f"cannot read it ({error.strerror or error})") from None
    if saved.names[: len(coordinates)] != coordinates:
        raise ResultFileError(
            f"its state ({', '.join(saved.names)}) does not begin with the coordinates ({', '.join(coordinates)})"
        )
    return saved


def _transition_path(args, compiled, params) -> int:
    import numpy as np

    from actionc.run import landscape
    from actionc.run.actions import geometric_action
    from actionc.run.result import write_atomically

    surface = landscape.landscape_of(compiled)
    inertial = getattr(surface, "inertial", False)
    names = surface.names
    start, end = _point_of(names, args.start, "--from"), _point_of(names, args.end, "--to")
    path = landscape.minimum_energy_path(surface, start, end, images=args.images, params=params)
    temperature, friction = landscape.temperature_and_friction(surface, params)
    print(
        f"{compiled.meta.model}: minimum-energy path{' of V(q)' if inertial else ''}, {args.images} images "
        f"(string method, {path.iterations} iterations)"
    )
    for point in path.points:
        print(f"  {point.describe(names)}")
    print(f"  barrier {path.barrier:.6g} = {path.barrier / temperature:.3g} T  (T = {temperature:g})")
    rise = sum(max(0.0, b.energy - a.energy) for a, b in zip(path.points, path.points[1:]))
    if not inertial:  # the Freidlin–Wentzell action of the overdamped dynamics (its noise drives every variable)
        action = geometric_action(compiled, path.x, params)
        print(f"  Freidlin–Wentzell action along the path {action:.6g}  (uphill energy / T = {rise / temperature:.6g})")
    matrices = dict(zip(("mass", "friction"), surface.mass_and_friction(params))) if inertial else {}
    word = "Kramers rate (inertial)" if inertial else "Eyring–Kramers rate"
    for a, saddle, b in zip(path.points[0::2], path.points[1::2], path.points[2::2]):
        forward, back = (
            landscape.kramers_rate(p, saddle, temperature, matrices.get("friction", friction), matrices.get("mass"))
            for p in (a, b)
        )
        print(
            f"  {word} over the saddle at E = {saddle.energy:.6g}: {forward:.4g} (mean time {1 / forward:.4g}), "
            f"back {back:.4g}"
        )
    if args.out:
        arrays = {
            "x": path.x,
            "energy": path.energy,
            "arclength": path.arclength,
            "names": np.array(names, dtype=np.str_),
            "points": np.array([p.x for p in path.points]),
            "point_energies": np.array([p.energy for p in path.points]),
            "point_kinds": np.array([p.kind for p in path.points], dtype=np.str_),
        }
        write_atomically(args.out, lambda handle: np.savez(handle, **arrays))
        print(f"wrote {args.out}")
    return EXIT_OK
