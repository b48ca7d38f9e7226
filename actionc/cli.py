"""The `actionc` command line.

Exit status, the same for every command: 0 success, 1 a model or run error
(printed on stderr as FILE:LINE:COL: error: …, never a traceback), 2 bad
usage (unknown command or flag, bad flag value).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Sequence

from actionc import __version__, report
from actionc.errors import ModelError
from actionc.lang import format_model, load
from actionc.model import Model
from actionc.report import FORMATS

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `actionc check … | head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


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
    derive.add_argument("--format", choices=sorted(FORMATS), default="text")
    derive.set_defaults(handler=_derive)
    return parser


def _comma_list(text: str) -> list[str]:
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise argparse.ArgumentTypeError("expected a comma-separated list of derivations")
    return items


def _derive(args) -> int:
    try:
        model = load(args.file)
        results = report.derive(model, args.what)
    except ModelError as error:
        _report(error)
        return EXIT_ERROR
    except report.NotApplicable as error:
        print(f"actionc derive: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    sys.stdout.write(FORMATS[args.format](model, results))
    return EXIT_OK


def _report(error: ModelError) -> None:
    print(error, file=sys.stderr)


def _check(args) -> int:
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


def summary(model: Model) -> str:
    """One line: name, kind, variables, parameters with their defaults."""
    if model.kind.is_mechanical:
        variables = "coord " + ", ".join(q.name for q in model.coordinates)
    else:
        variables = "state " + ", ".join(x.name for x in model.state)
    params = ", ".join(f"{p.name}={p.value:g}" for p in model.params) or "none"
    return f"{model.name} ({model.kind.value}) {variables}; param {params}"


def _fmt(args) -> int:
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
