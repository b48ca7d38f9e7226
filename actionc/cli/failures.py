"""Exit codes, and the one way every command reports an expected failure (never a traceback)."""

from __future__ import annotations

import sys

from actionc.errors import ClusterError, MissingFile, ModelError, OutputError, ResultFileError, RunError

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


def report_error(error: ModelError) -> None:
    print(error, file=sys.stderr)


def failure(command: str, error: Exception, path: str) -> int:
    """Report an expected failure the one way every command does; return
    its exit status (1 for a model or file error, 2 for a bad request,
    such as a file that does not exist)."""
    if isinstance(error, ModelError):
        report_error(error)
        return EXIT_USAGE if isinstance(error, MissingFile) else EXIT_ERROR
    if isinstance(error, RunError):
        print(f"actionc {command}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    if isinstance(error, (OutputError, ClusterError)):
        print(f"actionc {command}: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    if isinstance(error, ResultFileError):
        print(f"{path}: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    reason = error.strerror if isinstance(error, OSError) and error.strerror else error
    print(f"{path}: error: cannot read file: {reason}", file=sys.stderr)
    return EXIT_USAGE if isinstance(error, (FileNotFoundError, IsADirectoryError)) else EXIT_ERROR
