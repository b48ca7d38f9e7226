"""Which kind of model the statements declare (decide_kind), and where each
statement may appear: one table of statement → the kinds of model it
belongs in, with the hint for a statement out of place, checked in one
place (check)."""

from __future__ import annotations

from dataclasses import dataclass

from actionc.errors import ModelError, Span
from actionc.lang import syntax as ast
from actionc.model import Kind

MECHANICAL = (Kind.LAGRANGIAN, Kind.HAMILTONIAN)
DYNAMICS = ("lagrangian", "hamiltonian", "energy")


@dataclass(frozen=True)
class Placement:
    kinds: tuple[Kind, ...]
    hint: str


PLACEMENTS: dict[str, Placement] = {
    "coord": Placement(MECHANICAL, "energy and SDE models declare their variables with 'state'"),
    "momentum": Placement(MECHANICAL, "energy and SDE models declare their variables with 'state'"),
    "state": Placement((Kind.ENERGY, Kind.SDE), "mechanical models declare generalized coordinates with 'coord'"),
    "dissipation": Placement(
        (Kind.LAGRANGIAN,), "a Rayleigh dissipation function (in velocities) needs a lagrangian model"
    ),
    "temperature": Placement(
        (Kind.LAGRANGIAN, Kind.ENERGY),
        "thermal noise belongs to energy models, and to lagrangian models with a dissipation function",
    ),
    "friction": Placement(
        (Kind.ENERGY,),
        "'friction' sets γ of an energy model's Langevin dynamics; a lagrangian model uses 'dissipation'",
    ),
    "force": Placement(MECHANICAL, "generalized forces act on the coordinates of a lagrangian or hamiltonian model"),
    "density": Placement(
        (Kind.SDE,), "a time-dependent density p_t belongs to an SDE model (it gives its reverse-time SDE)"
    ),
    "horizon": Placement((Kind.SDE,), "the horizon T of sampling belongs to an SDE model with data or a density"),
    "data": Placement(
        (Kind.SDE,), "a data distribution belongs to a diffusion model: state variables and a forward SDE"
    ),
    "noise": Placement((Kind.SDE,), "'noise ito' or 'noise stratonovich' sets the calculus of SDE equations"),
}


def check(keyword: str, kind: Kind, span: Span) -> None:
    """A ModelError at `span` if the statement `keyword` does not belong in a `kind` model."""
    placement = PLACEMENTS.get(keyword)
    if placement is not None and kind not in placement.kinds:
        raise ModelError(f"'{keyword}' does not belong in {a_model(kind)}", span, hint=placement.hint)


def a_model(kind: Kind) -> str:
    return {Kind.ENERGY: "an energy model", Kind.SDE: "an SDE model"}.get(kind, f"a {kind.value} model")


def decide_kind(module: ast.Module) -> Kind:
    """The kind of model the statements declare: exactly one kind of dynamics."""
    statements = module.statements
    found: list[tuple[Kind, ast.Ident]] = []
    for statement in statements:
        if isinstance(statement, ast.ExprStmt) and statement.keyword.name in DYNAMICS:
            found.append((Kind(statement.keyword.name), statement.keyword))
        elif isinstance(statement, ast.SdeStmt) and all(k is not Kind.SDE for k, _ in found):
            found.append((Kind.SDE, ast.Ident("SDE equation", statement.target.span)))
        elif isinstance(statement, ast.ForwardStmt) and all(k is not Kind.SDE for k, _ in found):
            found.append((Kind.SDE, ast.Ident("SDE equation", statement.preset.span)))
    if not found:
        decl = module.model
        raise ModelError(
            f"model '{decl.name.name}' declares no dynamics",
            decl.name.span,
            hint="add one of 'lagrangian = …', 'hamiltonian = …', 'energy = …', "
            "SDE equations 'dx = … dt + … dW', or a diffusion model's 'forward vp'",
        )
    (kind, first), *rest = found
    if rest:
        _, other = rest[0]
        raise ModelError(
            f"{_dynamics_words(other)} cannot be combined with {_dynamics_words(first)} (line {first.span.line})",
            other.span,
            hint="a model has one kind of dynamics: lagrangian, hamiltonian, energy, or SDE equations",
        )
    return kind


def check_single_expressions(statements) -> None:
    """Each of lagrangian, energy, temperature, … is given once."""
    first: dict[str, Span] = {}
    for statement in statements:
        if isinstance(statement, ast.ExprStmt):
            key = statement.keyword
            if key.name in first:
                raise ModelError(
                    f"duplicate '{key.name}' (first given on line {first[key.name].line})",
                    key.span,
                    hint=f"a model has one '{key.name}'; combine the two expressions",
                )
            first[key.name] = key.span


def _dynamics_words(ident: ast.Ident) -> str:
    if ident.name == "SDE equation":
        return "SDE equations"
    return f"an '{ident.name}'" if ident.name == "energy" else f"a '{ident.name}'"
