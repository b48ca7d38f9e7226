"""What a run asks for, checked before anything runs: its numbers, its
parameters (and sweeps), initial values (and distributions drawn per
particle), an indexed model's sizes, the threads, the warm-up of the
adaptive samplers, and the memory its arrays would take — each refused with
a RunError that says what to change. Used by actionc.run.simulate; like it,
it must not import SymPy."""

from __future__ import annotations

import difflib
import math
import os
from typing import Mapping

import numpy as np

from actionc.errors import RunError
from actionc.run.initial import Draw, draw, parse_draw

MAX_MEMORY_GB = 4  # refuse runs whose arrays would exhaust a laptop
SUMMARY_SAVES = 100  # saves of a run that only summarizes: enough for the invariants' drift


def default_save_every(steps: int) -> int:
    """A divisor of steps giving about SUMMARY_SAVES saves: the summary's
    invariant drift needs some, the memory of a large ensemble needs few.
    The search is bounded (a prime number of steps has no divisor near
    steps / 100): else the fewest saves, the first and the last."""
    near = max(1, steps // SUMMARY_SAVES)
    for k in range(near, min(steps, near + 10_000) + 1):
        if steps % k == 0:
            return k
    return max(1, steps)


def drawn(init: dict, names: list[str], seed: int, particles: int) -> dict:
    """init with its distributions (text or Draw) drawn: one value per particle."""
    for name, value in init.items():
        if isinstance(value, str):
            value = parse_draw(value)
        if isinstance(value, Draw):
            initial_overrides(names, {name: 0.0})  # an unknown name is refused with its hint
            init[name] = draw(value, seed, names.index(name), particles)
    return init


def share(values: dict, first: int, count: int, particles: int) -> dict:
    """The share of particles first … first + count − 1 of per-particle
    values (a sweep's parameters, initial values); numbers go to every share."""
    shared = {}
    for name, value in values.items():
        if np.ndim(value) > 0 and np.shape(value) != (particles,):
            raise RunError(f"'{name}' has {np.size(value)} values for {particles} particles")
        shared[name] = np.asarray(value)[first : first + count] if np.ndim(value) > 0 else value
    return shared


def check_ladder(replicas: int, hottest: float, stats: tuple[str, ...]) -> None:
    most = sum(1 for name in stats if name.startswith("swaps_")) + 1
    if not isinstance(replicas, (int, np.integer)) or not 2 <= replicas <= most:
        raise RunError(f"--replicas must be a whole number from 2 to {most}, not {replicas!r}")
    if not (isinstance(hottest, (int, float)) and math.isfinite(hottest) and hottest > 1):
        raise RunError(
            f"--hottest must be a number above 1 (the hottest temperature over the model's), not {hottest!r}"
        )


def indexed_names(meta, params: Mapping) -> list[str]:
    """The state's names of an indexed kernel at these sizes (one value for all particles)."""
    values = dict(meta.params)
    for size in meta.sizes:
        value = params.get(size, values[size])
        if np.ndim(value) > 0:
            raise RunError(f"the size '{size}' must be one value for every particle", hint="run each size separately")
        if not float(value).is_integer() or value < 1 or value > 2**31:
            raise RunError(f"the size '{size}' must be a whole number ≥ 1, not {value!r}")
        values[size] = float(value)
    try:
        return meta.state_names(values)
    except ValueError as error:
        raise RunError(str(error), hint="sizes are parameters: set them with --set N=…") from None


def check_memory(meta, n_saves: int, particles: int, swept: bool, recorded: int = 0, n: int | None = None) -> None:
    """Refuse, before allocating anything, a run whose arrays would take
    more than MAX_MEMORY_GB: the saves, the invariants at every save (and
    as much again while they are evaluated), and per particle its state,
    random stream, control, counters, status, swept parameters and
    `recorded` numbers of its events."""
    total, saves, invariants, state = memory(meta, n_saves, particles, swept, recorded, n)
    if total > MAX_MEMORY_GB:
        raise RunError(
            f"this run would need {total:.1f} GiB of memory: saves {saves:.1f}, invariants {invariants:.1f}, "
            f"particle states and random streams {state:.1f}",
            hint=f"fewer --particles, or fewer saves: a larger --save-every (the limit is {MAX_MEMORY_GB} GiB); "
            "or write the saves range by range to a Zarr store: --scheduler local:N --out run.zarr (docs/scaling.md)",
        )


def memory(
    meta, n_saves: int, particles: int, swept: bool, recorded: int = 0, n: int | None = None
) -> tuple[float, float, float, float]:
    """GiB of (all, saves, invariants, particle states and events) of a run
    (n: the state's length, where it is not the kernel's: indexed models)."""
    n, gib = (len(meta.state) if n is None else n), 2**30
    saves = n_saves * particles * n * 8 / gib
    invariants = 2 * n_saves * particles * len(meta.invariants) * 8 / gib
    counters = max(1, len(meta.stats))
    columns = n + 4 + meta.control_length(n) + counters + 1 + (len(meta.params) if swept else 0) + recorded
    state = particles * (8 * columns + 1) / gib  # + 1: the int8 status
    return saves + invariants + state, saves, invariants, state


def warmup(warmup: int | None, steps: int, target_accept: float, trajectory_length: float) -> int:
    """The warm-up of an adaptive sampler (default: as many draws as steps), checked."""
    if warmup is not None and (not isinstance(warmup, (int, np.integer)) or warmup < 0):
        raise RunError(f"--warmup must be a whole number ≥ 0, not {warmup!r}")
    if not 0 < target_accept < 1:
        raise RunError(f"--target-accept must be between 0 and 1, not {target_accept!r}")
    if not (math.isfinite(trajectory_length) and trajectory_length > 0):
        raise RunError(f"--trajectory-length must be a positive number, not {trajectory_length!r}")
    return steps if warmup is None else int(warmup)


def threads(threads: int | None) -> int:
    available = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if threads is None:
        return available
    if not isinstance(threads, (int, np.integer)) or threads < 1:
        raise RunError(f"--threads must be a whole number ≥ 1, not {threads!r}")
    return int(threads)


def check_numbers(**values) -> None:
    dt = values["dt"]
    if not (isinstance(dt, (int, float)) and math.isfinite(dt) and dt > 0):
        raise RunError(f"--dt must be a positive number, not {dt!r}")
    for name in ("steps", "save_every", "particles"):
        value = values[name]
        minimum = 0 if name == "steps" else 1
        if not isinstance(value, (int, np.integer)) or value < minimum:
            raise RunError(f"--{name.replace('_', '-')} must be a whole number ≥ {minimum}, not {value!r}")
    seed = values["seed"]
    if not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**64:
        raise RunError(f"--seed must be a whole number in [0, 2^64), not {seed!r}")
    for name in ("rtol", "atol"):
        if not values[name] > 0:
            raise RunError(f"--{name} must be positive")


def parameters(defaults: dict, overrides: Mapping, particles: int):
    names = list(defaults)
    for name in overrides:
        if name not in defaults:
            close = difflib.get_close_matches(name, names, n=1)
            raise RunError(
                f"unknown parameter '{name}'",
                hint=f"did you mean '{close[0]}'?" if close else f"the parameters are: {', '.join(names) or 'none'}",
            )
    sweep = any(np.ndim(v) > 0 for v in overrides.values())
    rows = particles if sweep else 1
    p = np.empty((rows, max(1, len(names))))
    recorded = {}
    for k, name in enumerate(names):
        value = np.asarray(overrides.get(name, defaults[name]), dtype=float)
        if value.ndim > 0 and value.shape != (particles,):
            raise RunError(f"parameter '{name}' has {value.size} values for {particles} particles")
        if not np.isfinite(value).all():
            raise RunError(f"parameter '{name}' must be finite")
        p[:, k] = value
        recorded[name] = value.tolist() if value.ndim else float(value)
    return p, (1 if sweep else 0), recorded


def check_overrides(module, x: np.ndarray, p: np.ndarray, defaults: np.ndarray, overrides: Mapping) -> None:
    """A negative temperature or friction is an error of the --set that
    made it, not a run of particles that all diverge: checked directly in
    an energy model, and elsewhere as noise that is a number with the
    defaults and not one with the overrides (√(2γT) of a negative T)."""
    given = ", ".join(f"{k}={v:g}" if np.ndim(v) == 0 else f"{k}=[…]" for k, v in overrides.items())
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        for name in ("temperature", "friction"):
            function = getattr(module, f"np_{name}", None)
            if function is not None and np.any(function(x, 0.0, p) < 0):
                value = float(np.min(function(x, 0.0, p)))
                raise RunError(f"--set {given}: the {name} is {value:g}, and must be ≥ 0")
        diffusion = getattr(module, "np_diffusion", None)
        if diffusion is not None:
            if np.isfinite(diffusion(x, 0.0, defaults)).all() and not np.isfinite(diffusion(x, 0.0, p)).all():
                raise RunError(
                    f"--set {given}: the noise is not a number with these values",
                    hint="a temperature and a friction must be ≥ 0 (the noise is √(2 γ T))",
                )


def initial_overrides(names: list[str], init: Mapping[str, float]):
    override = np.zeros(len(names), dtype=np.bool_)
    values = np.zeros(len(names))
    for name, value in init.items():
        if name not in names:
            close = difflib.get_close_matches(name, names, n=1)
            raise RunError(
                f"unknown state variable '{name}'",
                hint=f"did you mean '{close[0]}'?" if close else f"the state is: {', '.join(names)}",
            )
        if not math.isfinite(float(value)):
            raise RunError(f"the initial value of '{name}' must be finite")
        override[names.index(name)] = True
        values[names.index(name)] = float(value)
    return override, values
