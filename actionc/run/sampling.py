"""Samplers driven by a score supplied at run time: a Numba function
score(x, t, out) — a trained network, say — that writes ∇log p_t(x) into
out. The model gives the forward SDE (and, with data, p_T to start from);
the reverse-time SDE or probability flow is derived with the score left
open, compiled like every kernel, and the supplied function is called
where the closed-form score would be.

A kernel that calls a function supplied at run time cannot be cached on
disk: it is compiled in each process (seconds), once per score function.
"""

from __future__ import annotations

import functools
import importlib.util
import itertools
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Callable

import numpy as np

from actionc.codegen.kernel import Kernel
from actionc.errors import RunError
from actionc.run.compiled import Compiled
from actionc.run.result import Result

_loaded = itertools.count()


@dataclass(frozen=True)
class _ScoredKernel(Kernel):
    """A kernel whose module is imported afresh, its score bound: the
    machine code depends on the function, so no two may share a module."""

    score: Callable | None = None

    @functools.cached_property
    def module(self) -> ModuleType:
        name = f"actionc_scored.k{next(_loaded)}"
        spec = importlib.util.spec_from_file_location(name, self.path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # where Numba looks a function's module up
        spec.loader.exec_module(module)
        module.user_score = self.score
        return module


def scored(path: Path, score: Callable) -> Compiled:
    """The sampler kernel at `path` (generated with the score left open) bound to `score`."""
    return Compiled(_ScoredKernel(path, score))


def sample_with(compiled: Compiled, score: Callable, *, steps: int, particles: int, **options) -> Result:
    """Run a scored sampler: `steps` steps from t = T down to 0 (see actionc.pipeline.sample)."""
    horizon = compiled.horizon(**(options.get("params") or {}))
    n = len(compiled.names)
    try:  # compile and try the score alone first: its errors are the user's, not the kernel's
        score(np.zeros(n), horizon, np.zeros(n))
    except Exception as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise RunError(
            f"the supplied score fails on x = 0, t = T: {first}",
            hint=f"it is called as score(x, t, out) with x, out float64 arrays of length {n} and t a float",
        ) from None
    options.setdefault("save_every", steps)
    return compiled.run(dt=horizon / steps, steps=steps, particles=particles, invariants=False, **options)
