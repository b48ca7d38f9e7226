"""The one error type a person sees, and how it is printed.

Every mistake in a model, found while parsing, resolving or deriving, is a
:class:`ModelError` that knows where it happened. Its text is::

    pendulum.act:4:19: error: unknown name 'lenght'
        lagrangian = m*lenght^2*th'^2/2
                       ^~~~~~
    hint: did you mean 'length'?

The CLI prints exactly this and exits with status 1, never a traceback.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Iterable

LONGEST_LINE = 160  # a source line longer than this is shown as a window
WINDOW = 120  # characters of it around the column


@dataclass(frozen=True)
class Span:
    """A stretch of one source line: 1-based line and column, length >= 1."""

    line: int
    column: int
    length: int = 1


class ModelError(Exception):
    """A mistake in a model, with its place in the source and a hint."""

    def __init__(
        self,
        message: str,
        span: Span | None = None,
        *,
        hint: str | None = None,
        filename: str = "<string>",
        source: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.span = span
        self.hint = hint
        self.filename = filename
        self.source = source

    @property
    def line(self) -> int | None:
        return self.span.line if self.span else None

    @property
    def column(self) -> int | None:
        return self.span.column if self.span else None

    def located(self, filename: str, source: str) -> ModelError:
        """This error, told which file and text it belongs to."""
        self.filename, self.source = filename, source
        return self

    def __str__(self) -> str:
        return format_error(self)


def format_error(error: ModelError) -> str:
    span = error.span
    where = f"{error.filename}:{span.line}:{span.column}" if span else error.filename
    lines = [f"{where}: error: {error.message}"]
    if span and error.source is not None:
        source_lines = error.source.splitlines()
        if 1 <= span.line <= len(source_lines):
            text, column = _window(source_lines[span.line - 1].expandtabs(1).rstrip(), span.column)
            lines.append("    " + text)
            width = max(1, min(span.length, len(text) - column + 1))
            lines.append("    " + " " * (column - 1) + "^" + "~" * (width - 1))
    if error.hint:
        lines.append(f"hint: {error.hint}")
    return "\n".join(lines)


def _window(text: str, column: int) -> tuple[str, int]:
    """The source line to show, and the column in it: a line longer than
    LONGEST_LINE is cut to a window around the column, marked '...' where cut."""
    if len(text) <= LONGEST_LINE:
        return text, column
    start = max(0, min(column - 1 - WINDOW // 2, len(text) - WINDOW))
    before = "..." if start > 0 else ""
    after = "..." if start + WINDOW < len(text) else ""
    return before + text[start : start + WINDOW] + after, column - start + len(before)


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A 'did you mean' hint naming the closest candidates, if any is close:
    by spelling, else one name that begins the other (th for theta)."""
    candidates = sorted(set(candidates))
    ratios = {c: difflib.SequenceMatcher(None, name, c).ratio() for c in candidates}
    best = max(ratios.values(), default=0.0)
    close = sorted((c for c, r in ratios.items() if r >= max(0.6, best - 0.05)), key=lambda c: -ratios[c])
    if not close:
        close = [c for c in candidates if min(len(c), len(name)) >= 2 and (name.startswith(c) or c.startswith(name))]
    if not close:
        return None
    return "did you mean " + " or ".join(f"'{c}'" for c in close[:2]) + "?"


class MissingFile(ModelError):
    """A model file that does not exist or is a folder: a bad request (exit
    2), not a mistake in a model."""


class RunError(ValueError):
    """An impossible request to run a model: a bad option value, an unknown
    parameter or state name. The CLI reports it as bad usage (exit 2)."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message, self.hint = message, hint

    def __str__(self) -> str:
        return self.message + (f"\nhint: {self.hint}" if self.hint else "")


class MethodError(RunError):
    """A method that does not exist, or does not fit the model."""


class OutputError(Exception):
    """An output that cannot be written, or must not be replaced: a missing
    or read-only folder, a directory or device in its place, a full disk.
    The CLI reports it as a run error (exit 1) and says how to rerun."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message, self.hint = message, hint

    def __str__(self) -> str:
        return self.message + (f"\nhint: {self.hint}" if self.hint else "")


class ClusterError(Exception):
    """A distributed run that the cluster could not carry out: a worker
    that cannot load the kernel (a missing package), workers that keep
    dying. The CLI reports it as a run error (exit 1), with the worker's
    own error."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message, self.hint = message, hint

    def __str__(self) -> str:
        return self.message + (f"\nhint: {self.hint}" if self.hint else "")


class ResultFileError(ValueError):
    """A file given as a result of `actionc run` that is not one: not an
    .npz, arrays missing or of the wrong shape, meta that is not what a run
    writes. The CLI reports it as a file error (exit 1)."""

    def __str__(self) -> str:
        return f"not a result of actionc run: {self.args[0]}"
