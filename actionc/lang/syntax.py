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


@dataclass(frozen=True)
class Element:
    """`q[i+1]`, `X[i, j]`, or with `prime` the velocity `q'[i]`."""

    name: str
    indices: tuple[Expr, ...]
    prime: bool
    span: Span
    name_span: Span


@dataclass(frozen=True)
class Binder:
    """`i in lo..hi` of a sum; with `partner`, the pairs `i < j in lo..hi`."""

    index: Ident
    lo: Expr
    hi: Expr
    partner: Ident | None = None


@dataclass(frozen=True)
class Sum:
    """`sum(i in 1..N, j in 1..d: body)`: the binders nest left to right."""

    binders: tuple[Binder, ...]
    body: Expr
    span: Span


Expr = Number | Name | Velocity | Call | Unary | Binary | Element | Sum


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
class Range:
    """`[1..N]` after a declared name: an array and its index range."""

    lo: Expr
    hi: Expr
    span: Span


@dataclass(frozen=True)
class DeclStmt:
    """`coord …`, `momentum …` or `state …`; `ranges[k]` is None for a scalar."""

    keyword: str
    names: tuple[Ident, ...]
    span: Span
    ranges: tuple[Range | None, ...] = ()


@dataclass(frozen=True)
class BoundaryItem:
    """`q[0] = 0` (a fixed value beyond an end) or `q periodic` (`index` None, `rule` the word)."""

    name: Ident
    index: Expr | None
    value: Expr | None
    rule: Ident | None


@dataclass(frozen=True)
class BoundaryStmt:
    items: tuple[BoundaryItem, ...]
    span: Span


@dataclass(frozen=True)
class InputItem:
    """`X[n, d]`: a data array read at run time, and the names of its sizes."""

    name: Ident
    sizes: tuple[Ident, ...]


@dataclass(frozen=True)
class InputStmt:
    items: tuple[InputItem, ...]
    path: str | None  # `from "file"`, relative to the model file
    span: Span


@dataclass(frozen=True)
class LetStmt:
    """`let x1 = …`, or an array of lets: `let d[i in 0..N] = q[i+1] - q[i]`."""

    name: Ident
    value: Expr
    span: Span
    binders: tuple[Binder, ...] = ()


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
    index: Expr | None = None  # `q[i]`: every element (a new name i) or one (a constant)


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
    index: Ident | None = None  # `dW[i]`: the noise of element i


@dataclass(frozen=True)
class SdeStmt:
    target: Ident  # `dx`
    terms: tuple[SdeTerm, ...]
    span: Span
    index: Ident | None = None  # `dx[i] = …`: the equation of every element i


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
    """`data mean = […], std = …`: one component of the data distribution;
    with `over` (`data k in 1..8: …`), one component per k."""

    items: tuple[DataItem, ...]
    span: Span
    over: Binder | None = None


@dataclass(frozen=True)
class ForwardStmt:
    """`forward vp, beta_min = 0.1`: a preset linear forward SDE."""

    preset: Ident
    items: tuple[ParamItem, ...]
    span: Span


Statement = (
    ParamStmt
    | DeclStmt
    | LetStmt
    | ExprStmt
    | ForceStmt
    | NoiseStmt
    | InitStmt
    | SdeStmt
    | DataStmt
    | ForwardStmt
    | BoundaryStmt
    | InputStmt
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
