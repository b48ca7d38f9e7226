"""The .act language: text → AST → Model, and Model → text."""

from __future__ import annotations

from pathlib import Path

from actionc.errors import ModelError
from actionc.lang.build import parse_module
from actionc.lang.fmt import format_model
from actionc.lang.resolve import resolve
from actionc.model import Model


def parse(text: str, filename: str = "<string>") -> Model:
    """Parse and resolve .act text into a Model; a ModelError says what is wrong."""
    text = text.removeprefix("\ufeff")  # a UTF-8 byte-order mark, as some editors write
    try:
        return resolve(parse_module(text), filename, text)
    except ModelError as error:
        raise error.located(filename, text) from None


def load(path: str | Path) -> Model:
    """Read and parse an .act file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise ModelError(f"cannot read file: {reason}", filename=str(path)) from None
    return parse(text, filename=str(path))


__all__ = ["parse", "load", "format_model", "Model", "ModelError"]
