"""Commands on a model's text: check, fmt, derive, emit."""

from __future__ import annotations

import sys
from pathlib import Path

from actionc.cli.failures import EXIT_ERROR, EXIT_OK, EXIT_USAGE, failure, report_error
from actionc.errors import MissingFile, ModelError, OutputError, RunError


def check(args) -> int:
    from actionc.lang import load

    status = EXIT_OK
    for path, model in _each_model(args.files, load):
        if isinstance(model, int):
            status = max(status, model)
        else:
            print(f"{path}: {summary(model)}")
    return status


def _each_model(paths, load):
    """(path, Model) for each file, or (path, exit status) after reporting
    its error: 2 for a file that does not exist, 1 for a model error."""
    for path in paths:
        try:
            yield path, load(path)
        except ModelError as error:
            report_error(error)
            yield path, EXIT_USAGE if isinstance(error, MissingFile) else EXIT_ERROR


def summary(model) -> str:
    """One line: name, kind, variables, parameters with their defaults."""

    def declared(x) -> str:
        array = model.arrays.get(x.name)
        return x.name if array is None else f"{x.name}[{array.bounds[0][0]}..{array.bounds[0][1]}]"

    if model.kind.is_mechanical:
        variables = "coord " + ", ".join(declared(q) for q in model.coordinates)
    else:
        variables = "state " + ", ".join(declared(x) for x in model.state)
    data_sizes = set(model.data_sizes)
    params = ", ".join(f"{p.name}={p.value:g}" for p in model.params if p.symbol not in data_sizes) or "none"
    extra = ""
    if model.inputs:
        extra += "; input " + ", ".join(f"{i.name}[{', '.join(s.name for s in i.sizes)}]" for i in model.inputs)
    if model.has_density:  # it can be sampled backwards
        forward = f"forward {model.forward[0]}" if model.forward else "SDE equations"
        density = f"data: {len(model.data)} Gaussian(s)" if model.data else "a given density"
        extra = f"; {forward}, {density}"
    return f"{model.name} ({model.kind.value}) {variables}; param {params}{extra}"


def fmt(args) -> int:
    from actionc.lang import format_model, load

    if len(args.files) > 1 and not (args.check or args.write):
        print("actionc fmt: error: give one FILE, or use --check or --write for several", file=sys.stderr)
        return EXIT_USAGE
    status = EXIT_OK
    for path, model in _each_model(args.files, load):
        if isinstance(model, int):
            status = max(status, model)
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


def derive(args) -> int:
    from actionc import report
    from actionc.lang import load

    try:
        model = load(args.file)
        results = report.derive(model, args.what)
    except ModelError as error:
        return failure("derive", error, args.file)
    except report.NotApplicable as error:
        print(f"actionc derive: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    sys.stdout.write(report.FORMATS[args.format](model, results))
    return EXIT_OK


def emit(args) -> int:
    from pathlib import Path

    from actionc.run.result import write_atomically

    try:
        if args.target in ("llvm", "so"):
            from actionc.pipeline import compile
            from actionc.run.embed import shared_library

            compiled = compile(args.file, args.method)
            compiled.scalar_only(f"emit --target {args.target}")
            if args.target == "llvm":
                sys.stdout.write(compiled.llvm("step"))
            else:
                library, header = shared_library(compiled, args.out, compiled.meta.model)
                print(f"wrote {library} and {header}", file=sys.stderr)
            return EXIT_OK
        from actionc.lang import load
        from actionc.pipeline import c_source

        model = load(args.file)
        # a sampler's direction: reverse-em is the Euler–Maruyama step, pf-rk4 the RK4 step, of the emitted drift
        header, source = c_source(model, args.method, bake_params=args.bake_params)
    except (ModelError, RunError, OSError) as error:
        return failure("emit", error, args.file)
    out = Path(args.out)
    try:
        if not out.is_dir():
            try:
                out.mkdir(parents=True)
            except OSError as error:
                raise OutputError(f"cannot create the folder {out}: {error.strerror or error}") from None
            print(f"created {out}/", file=sys.stderr)
        for suffix, text in ((".h", header), (".c", source)):
            write_atomically(out / f"{model.name}{suffix}", lambda handle, text=text: handle.write(text.encode()))
    except OutputError as error:
        return failure("emit", error, args.out)
    print(f"wrote {out / model.name}.h and {out / model.name}.c", file=sys.stderr)
    return EXIT_OK
