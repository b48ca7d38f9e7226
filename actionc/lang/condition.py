"""Conditions given on the command line (`--until 'x > 0.9'`, `--section
'x = 0, px > 0'`), read by the model's own front end: each side is an
expression of the model's names, parsed and resolved like a `let`, never
evaluated as Python.

A condition `a > b` (or `a >= b`) becomes g = a − b, an event where g
crosses zero upward; `a < b` is b − a. An equation `a = b` is a surface,
crossed either way. Further comma-separated inequalities must hold at the
crossing (`px > 0`: crossing in one direction).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy

from actionc.errors import ModelError, RunError
from actionc.model import Model

MAX_LENGTH = 1000
_COMPARISON = re.compile(r"(<=|>=|<|>|=)")
_NAME = "actionc_condition"  # the let each side is resolved as


@dataclass(frozen=True)
class Condition:
    crossing: sympy.Expr  # g: the event is g crossing zero
    keep: tuple[sympy.Expr, ...]  # each positive at the event
    two_sided: bool  # an equation: crossed either way


def read_condition(model: Model, text: str, flag: str) -> Condition:
    """The Condition of `text` in `model`'s names (a RunError saying what is
    wrong, naming `flag`)."""
    if len(text) > MAX_LENGTH or any(c in text for c in "\n\r#"):
        raise RunError(f"{flag} {text!r}: one line of at most {MAX_LENGTH} characters, without '#'")
    parts = [part.strip() for part in text.split(",")]
    crossing, two_sided = _comparison(model, parts[0], f"{flag} {text!r}", surface=flag == "--section")
    keep = []
    for part in parts[1:]:
        g, equation = _comparison(model, part, f"{flag} {text!r}", surface=False)
        if equation:
            raise RunError(f"{flag} {text!r}: after the first part, only inequalities (like px > 0)")
        keep.append(g)
    return Condition(crossing, tuple(keep), two_sided)


def _comparison(model: Model, text: str, where: str, surface: bool) -> tuple[sympy.Expr, bool]:
    """g of one comparison; `where` names the flag and its whole text for errors."""
    pieces = _COMPARISON.split(text)
    if len(pieces) != 3 or not pieces[0].strip() or not pieces[2].strip():
        wanted = "NAME = VALUE, then inequalities: x = 0, px > 0" if surface else "one comparison, like x > 0.9"
        raise RunError(f"{where}: expected {wanted}")
    left, operator, right = pieces
    if surface and operator != "=":
        raise RunError(f"{where}: a section is a surface, written with '=' (x = 0)")
    if not surface and operator == "=":
        raise RunError(f"{where}: a first passage is an inequality (x > 0.9): '=' is rarely hit exactly")
    difference = _expression(model, left, where) - _expression(model, right, where)
    return (-difference if operator in ("<", "<=") else difference), operator == "="


def _expression(model: Model, text: str, where: str) -> sympy.Expr:
    """An expression of the model's names, resolved as a `let` appended to the model."""
    from actionc.lang import parse

    try:
        extended = parse(f"{model.source.rstrip()}\nlet {_NAME} = ({text})\n", filename=model.filename)
    except ModelError as error:
        raise RunError(f"{where}: {error.message}", hint=error.hint) from None
    return next(let.value for let in extended.lets if let.name == _NAME)
