"""The abstract syntax of .act files: what was written, with where.

Frozen dataclasses, one per construct of the grammar. Every node keeps the
source span that error messages point at. Nothing here knows what a name
means; that is the resolver's job.
"""

from __future__ import annotations

from dataclasses import dataclass

from actionc.errors import Span

# ---- expressions ------------------------------------------------------------


@dataclass(frozen=True)
class Number:
    text: str
    span: Span


@dataclass(frozen=True)
class Name:
    name: str
    span: Span


@dataclass(frozen=True)
class Velocity:
    """`q'`: the time derivative of a coordinate or of a let."""

    name: str
    span: Span


@dataclass(frozen=True)
class Call:
    function: str
    args: tuple[Expr, ...]
    span: Span
    name_span: Span


@dataclass(frozen=True)
class Unary:
    op: str  # '-' or '+'
    operand: Expr
    span: Span


@dataclass(frozen=True)
class Binary:
    op: str  # '+', '-', '*', '/', '^'
    left: Expr
    right: Expr
    span: Span


Expr = Number | Name | Velocity | Call | Unary | Binary


# ---- statements -------------------------------------------------------------


@dataclass(frozen=True)
class Ident:
    """A name where it is declared or targeted (not inside an expression)."""

    name: str
    span: Span


@dataclass(frozen=True)
class ModelDecl:
    name: Ident
    doc: str | None
    span: Span


@dataclass(frozen=True)
class ParamItem:
    name: Ident
    value: Expr


@dataclass(frozen=True)
class ParamStmt:
    items: tuple[ParamItem, ...]
    span: Span


@dataclass(frozen=True)
class DeclStmt:
    """`coord …`, `momentum …` or `state …`."""

    keyword: str
    names: tuple[Ident, ...]
    span: Span


@dataclass(frozen=True)
class LetStmt:
    name: Ident
    value: Expr
    span: Span


@dataclass(frozen=True)
class ExprStmt:
    """`lagrangian = …` and the other `KEYWORD = expr` statements."""

    keyword: Ident
    value: Expr
    span: Span


@dataclass(frozen=True)
class ForceStmt:
    coord: Ident
    value: Expr
    span: Span


@dataclass(frozen=True)
class NoiseStmt:
    calculus: Ident
    span: Span


@dataclass(frozen=True)
class InitItem:
    name: Ident
    prime: bool  # `q'` sets a velocity
    value: Expr


@dataclass(frozen=True)
class InitStmt:
    items: tuple[InitItem, ...]
    span: Span


@dataclass(frozen=True)
class SdeTerm:
    sign: int  # +1 or -1, from the `+`/`-` before the term
    coefficient: Expr | None  # None: a bare `dt` or `dW`
    differential: Ident  # `dt` or `dW…`
    span: Span


@dataclass(frozen=True)
class SdeStmt:
    target: Ident  # `dx`
    terms: tuple[SdeTerm, ...]
    span: Span


@dataclass(frozen=True)
class Array:
    """`[a, b]` or `[[a, b], [c, d]]`: a vector or matrix in a `data` line."""

    items: tuple  # of Expr or Array
    span: Span


@dataclass(frozen=True)
class DataItem:
    name: Ident
    value: Expr | Array


@dataclass(frozen=True)
class DataStmt:
    """`data mean = […], std = …`: one component of the data distribution."""

    items: tuple[DataItem, ...]
    span: Span


@dataclass(frozen=True)
class ForwardStmt:
    """`forward vp, beta_min = 0.1`: a preset linear forward SDE."""

    preset: Ident
    items: tuple[ParamItem, ...]
    span: Span


Statement = (
    ParamStmt | DeclStmt | LetStmt | ExprStmt | ForceStmt | NoiseStmt | InitStmt | SdeStmt | DataStmt | ForwardStmt
)


@dataclass(frozen=True)
class Comment:
    """A `#` comment; `inline` if code precedes it on its line."""

    text: str
    line: int
    inline: bool


@dataclass(frozen=True)
class Module:
    model: ModelDecl
    statements: tuple[Statement, ...]
    comments: tuple[Comment, ...]
