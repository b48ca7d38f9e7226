"""What an integrator is: a small template with the textbook on top.

Every integrator writes one function into the generated module,

    advance(x, t, dt, p, s, w, c, stats) -> int

that moves the state x (in place) from time t to t + dt. p are the
parameters, s the particle's random stream, w a work array of the shape the
integrator asks for, c its per-particle control state (the step size of an
adaptive method), stats its counters (acceptances, rejected steps). It
returns 0, or a failure code (see FAILURES). It calls the model functions
of the module by name: drift, ito_drift, diffusion, … (see module.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from actionc.system import System

# advance() return codes, and what the driver tells the person
FAILURES = {
    1: ("diverged", "the state became infinite or NaN; try a smaller --dt or another method"),
    2: ("newton failed", "the implicit step did not converge; try a smaller --dt"),
    3: ("step size underflow", "the adaptive step size became too small; the problem may be stiff or singular"),
}


@dataclass(frozen=True)
class Integrator:
    name: str
    summary: str  # what it is, its order, its reference
    stochastic: bool | None  # True: SDEs only; False: ODEs only; None: both
    applies: Callable[[System], str | None]  # None when it fits, else why not
    source: Callable[[System], str]  # the source of advance()
    work_rows: Callable[[System], int] = lambda system: 4  # w has shape (rows, n)
    stats: tuple[str, ...] = ()  # names of the per-particle counters
    # length of the per-particle control state c, which persists from step
    # to step and chunk to chunk (step sizes, cached forces); w does not
    control: Callable[[System], int] = lambda system: 1
    needs: tuple[str, ...] = ("drift",)  # model functions it calls


def deterministic_only(system: System) -> str | None:
    if system.is_stochastic:
        return "it integrates ODEs; this model has noise"
    return None


def stochastic_only(system: System) -> str | None:
    if not system.is_stochastic:
        return "it integrates SDEs; this model has no noise"
    return None


def vector_update(target: str, terms: str, n: int, indent: str = "    ") -> str:
    """`for i in range(n): target[i] = terms(i)`, with `{i}` in terms."""
    return f"{indent}for i in range({n}):\n{indent}    {target}[i] = {terms}\n"
