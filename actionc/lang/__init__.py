"""The .act language: text → AST → Model, and Model → text."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from pathlib import Path

from actionc.errors import MissingFile, ModelError
from actionc.lang.build import parse_module
from actionc.lang.fmt import format_model
from actionc.lang.resolve import resolve
from actionc.model import Model

# The longest model text read, in characters: the front end is linear in the
# text, at about 15 µs a character, so a model of this size is answered in
# about two seconds (the largest example is under 1 KB). See docs/language.md.
MAX_SOURCE = 128 * 1024


def parse(text: str, filename: str = "<string>") -> Model:
    """Parse and resolve .act text into a Model; a ModelError says what is wrong."""
    text = text.removeprefix("\ufeff")  # a UTF-8 byte-order mark, as some editors write
    if len(text) > MAX_SOURCE:
        raise _too_long(filename)
    try:
        with _without_cyclic_gc():
            return resolve(parse_module(text), filename, text)
    except ModelError as error:
        raise error.located(filename, text) from None


@contextmanager
def _without_cyclic_gc():
    """Lark and SymPy allocate a few objects per character and keep them all
    until the end; the cyclic collector's repeated passes over them made
    parsing super-linear (2.4 s for 80 KB, 11.6 s for 320 KB). Reference
    counting still frees everything that is dropped."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _too_long(filename: str) -> ModelError:
    return ModelError(
        f"the model is longer than {MAX_SOURCE // 1024} KB ({MAX_SOURCE:,} characters), the most actionc reads",
        filename=filename,
        hint="is this the file you meant? hand-written models are a few KB",
    )


def load(path: str | Path) -> Model:
    """Read and parse an .act file."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8") as file:
            text = file.read(MAX_SOURCE + 1)  # never more: the path may be /dev/zero
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        missing = isinstance(error, (FileNotFoundError, IsADirectoryError))
        raise (MissingFile if missing else ModelError)(f"cannot read file: {reason}", filename=str(path)) from None
    return parse(text, filename=str(path))


__all__ = ["parse", "load", "format_model", "Model", "ModelError"]
