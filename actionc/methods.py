"""What a method name means: the direction a model is lowered in and the
integrator that runs it, decoded once from what the user typed.

Most names are integrators (rk4, baoab, …) and run the model forward. A
sampler of a model with a density p_t names both: reverse-em is the
reverse-time SDE stepped by Euler–Maruyama, pf-rk4 the probability flow
stepped by RK4. This module imports nothing heavy, so that the command line
can tell a sampler without importing SymPy.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Direction(StrEnum):
    """Which way a System runs. "reverse" and "flow" run the kernel's time t
    from 0 to the horizon T while the model's time is T − t; "likelihood"
    is the flow carrying the integrated divergence as a last state variable."""

    FORWARD = "forward"
    REVERSE = "reverse"
    FLOW = "flow"
    LIKELIHOOD = "likelihood"


@dataclass(frozen=True)
class Method:
    name: str | None  # as the user typed it; None: the model's default integrator
    direction: Direction
    integrator: str | None

    @property
    def is_sampler(self) -> bool:
        """It runs a model with a density backwards (or carries its likelihood)."""
        return self.direction is not Direction.FORWARD

    @property
    def draws_samples(self) -> bool:
        """Its particles end as samples of p_0."""
        return self.direction in (Direction.REVERSE, Direction.FLOW)

    @property
    def label(self) -> str | None:
        """The name a kernel records where it is more than its integrator's."""
        return self.name if self.is_sampler else None


SAMPLERS: dict[str, Method] = {
    m.name: m
    for m in (
        Method("reverse-em", Direction.REVERSE, "euler-maruyama"),
        Method("pc", Direction.REVERSE, "pc"),
        Method("pf-rk4", Direction.FLOW, "rk4"),
        Method("pf-dopri5", Direction.FLOW, "dopri5"),
        Method("likelihood", Direction.LIKELIHOOD, "dopri5"),
    )
}


def decode(name: str | None) -> Method:
    """The method a user's --method names (None: the model's default)."""
    if isinstance(name, str) and name in SAMPLERS:
        return SAMPLERS[name]
    return Method(name, Direction.FORWARD, name)
