"""The plot command: results of run and of density, drawn to a file."""

from __future__ import annotations

import sys
from pathlib import Path

from actionc.cli.failures import EXIT_OK, failure
from actionc.errors import OutputError, ResultFileError, RunError


def plot(args) -> int:
    from pathlib import Path

    from actionc.plot import default_kind, plot
    from actionc.run.result import Result

    if _is_density(args.result):
        return _plot_density(args)
    try:
        result = Result.load(args.result)
    except (ResultFileError, OSError) as error:
        return failure("plot", error, args.result)
    kind = default_kind(result) if args.kind == "auto" else args.kind
    out = args.out or str(Path(args.result).with_suffix("")) + f"_{kind}.png"
    try:
        plot(result, kind, out)
    except (RunError, OutputError, ResultFileError) as error:
        return failure("plot", error, args.result)
    print(f"wrote {out}", file=sys.stderr)
    return EXIT_OK


def _is_density(path: str) -> bool:
    """A result of actionc density (its meta says so), not of actionc run."""
    import json

    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
    except Exception:  # whatever is wrong with the file, Result.load says it clearly
        return False
    return isinstance(meta, dict) and meta.get("command") == "density"


def _plot_density(args) -> int:
    from actionc.plot import plot_density
    from actionc.run.density import DensityResult
    from actionc.run.result import Result

    try:
        result = DensityResult.load(args.result)
    except (ResultFileError, OSError) as error:
        return failure("plot", error, args.result)
    try:
        run = Result.load(args.run) if args.run else None
    except (ResultFileError, OSError) as error:
        return failure("plot", error, args.run)
    out = args.out or str(Path(args.result).with_suffix("")) + "_density.png"
    try:
        plot_density(result, out, run)
    except (RunError, OutputError) as error:
        return failure("plot", error, args.result)
    print(f"wrote {out}", file=sys.stderr)
    return EXIT_OK
