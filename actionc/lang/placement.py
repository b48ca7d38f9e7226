"""Where each statement may appear: one table of statement → the kinds of
model it belongs in, and the hint for a statement out of place, checked in
one place (check)."""

from __future__ import annotations

from dataclasses import dataclass

from actionc.errors import ModelError, Span
from actionc.model import Kind

MECHANICAL = (Kind.LAGRANGIAN, Kind.HAMILTONIAN)


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
