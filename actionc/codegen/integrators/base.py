"""What an integrator is: a small template with the textbook on top.

Every integrator writes one function into the generated module,

    advance(x, t, dt, p, s, c, counts) -> (x, s, c, counts, code)

that moves the state x from time t to t + dt. p are the parameters (an
array), s the particle's random stream, c its control state (the step size
of an adaptive method, a cached force), counts its counters (acceptances,
rejected steps). x, s, c and counts are tuples: values that the compiler
keeps in registers, returned updated; code is 0, or a failure code (see
FAILURES). It calls the model functions of the module by name — drift,
ito_drift, diffusion, … (see module.py) — which return tuples too. Loops
over the state are unrolled when the source is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from actionc.system import Requirement, System

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
    stats: tuple[str, ...] = ()  # names of the per-particle counters
    # length of the per-particle control state c, which persists from step
    # to step and chunk to chunk (step sizes, cached forces)
    control: Callable[[System], int] = lambda system: 1
    # run options that seed control slots before the first step: (slot, option name)
    options: tuple[tuple[int, str], ...] = ()
    needs: tuple[str, ...] = ("drift",)  # model functions it calls
    # control slots the driver reports per particle after a run, by name (a sampler's first divergence)
    reports: Callable[[System], dict[str, list[int]]] = lambda system: {}
    requires: tuple[Requirement, ...] = ()  # what lower adds to the System for it (actionc.lower.equip)


def kernel_names(system: System) -> dict:
    """How the kernel source spells the model's symbols: x[i], p[k], t."""
    names = {x: f"x[{i}]" for i, x in enumerate(system.state)}
    names.update({p.symbol: f"p[{k}]" for k, p in enumerate(system.params)})
    names[system.time] = "t"
    return names


def deterministic_only(system: System) -> str | None:
    if system.is_stochastic:
        return "it integrates ODEs; this model has noise"
    return None


def stochastic_only(system: System) -> str | None:
    if not system.is_stochastic:
        return "it integrates SDEs; this model has no noise"
    return None


TUPLE_CHUNK = 30  # CPython builds longer tuple displays through a list, which Numba's bytecode reader rejects


def tuple_literal(items: list[str]) -> str:
    """A tuple display of the items, longer ones as a sum of tuples of at
    most TUPLE_CHUNK items (the same value, and Numba compiles it)."""
    chunks = [items[k : k + TUPLE_CHUNK] for k in range(0, len(items), TUPLE_CHUNK)]
    return " + ".join("(" + ", ".join(chunk) + ",)" for chunk in chunks) or "()"


def tuple_of(item: str, n: int) -> str:
    """A tuple literal of n items, `{k}` in item standing for the index:
    tuple_of("x[{k}] + dt * f[{k}]", 2) == "(x[0] + dt * f[0], x[1] + dt * f[1],)"."""
    return tuple_literal([item.format(k=k) for k in range(n)])
