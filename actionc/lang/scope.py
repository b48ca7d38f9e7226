"""Names and their scope: what each declared name is, where it was
declared, and the errors about names — unknown, used before it is declared,
declared twice, reserved — each with a did-you-mean where one helps."""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from actionc.errors import ModelError, Span, did_you_mean
from actionc.functions import DISTRIBUTIONS, FUNCTIONS
from actionc.lang import syntax as ast

RESERVED = {"t": "time", "pi": "the constant π"}

ROLE_WORDS = {
    "param": "parameter",
    "coord": "coordinate",
    "momentum": "momentum",
    "state": "state variable",
    "let": "let",
    "input": "data array",
}


@dataclass
class Entry:
    """A declared name: its role and where it was declared."""

    role: str  # param, coord, momentum, state, let
    span: Span
    symbol: sympy.Symbol
    value: sympy.Expr | None = None  # params: the symbol; lets: the inlined value
    array: object | None = None  # arrays: their actionc.model.Array (symbol is its IndexedBase)


class Scope:
    """The names declared so far, and the line of every name the model
    declares (for 'used before it is declared')."""

    def __init__(self, statements) -> None:
        self.names: dict[str, Entry] = {}
        self.later: dict[str, int] = {}  # every declared name -> its line
        self._check_declarations(statements)

    def _check_declarations(self, statements) -> None:
        """Every declared name once, none reserved."""
        seen: dict[str, Span] = {}
        function_like = set(FUNCTIONS) | set(DISTRIBUTIONS)
        for ident in _declared_idents(statements):
            name = ident.name
            if name in RESERVED:
                raise ModelError(
                    f"'{name}' is reserved for {RESERVED[name]} and cannot be declared",
                    ident.span,
                    hint="choose another name",
                )
            if name in function_like:
                raise ModelError(
                    f"'{name}' is the name of a function and cannot be declared",
                    ident.span,
                    hint="choose another name",
                )
            if name in seen:
                raise ModelError(
                    f"duplicate declaration of '{name}' (first declared on line {seen[name].line})",
                    ident.span,
                    hint="every name is declared once; rename one of them",
                )
            seen[name] = ident.span
            self.later[name] = ident.span.line

    def declare(self, name: str, role: str, span: Span, symbol: sympy.Symbol, value=None, array=None) -> None:
        self.names[name] = Entry(role, span, symbol, value, array)

    def get(self, name: str) -> Entry | None:
        return self.names.get(name)

    def named(self, *roles: str) -> list[str]:
        """The declared names of these roles, in order of declaration."""
        return [name for name, entry in self.names.items() if entry.role in roles]

    def symbols(self, role: str) -> list[sympy.Symbol]:
        return [entry.symbol for entry in self.names.values() if entry.role == role]

    def unknown(self, name: str, span: Span, candidates) -> ModelError:
        if name in self.later:
            return ModelError(
                f"'{name}' is used before it is declared (on line {self.later[name]})",
                span,
                hint="move the declaration above its first use",
            )
        return ModelError(
            f"unknown name '{name}'",
            span,
            hint=did_you_mean(name, candidates) or "declare it with 'param', 'let', 'coord' or 'state'",
        )

    def bad_velocity(self, name: str, entry: Entry | None, span: Span) -> ModelError:
        what = f"a {ROLE_WORDS[entry.role]}" if entry else "not declared"
        return ModelError(
            f"'{name}'' is not defined: '{name}' is {what}",
            span,
            hint="a prime takes the time derivative of a coordinate or of a let",
        )


def _declared_idents(statements):
    for statement in statements:
        if isinstance(statement, ast.ParamStmt):
            yield from (item.name for item in statement.items)
        elif isinstance(statement, ast.DeclStmt):
            yield from statement.names
        elif isinstance(statement, ast.LetStmt):
            yield statement.name
        elif isinstance(statement, ast.InputStmt):
            yield from (item.name for item in statement.items)
