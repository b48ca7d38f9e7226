"""The evaluation entry of an energy model: E, ∇E and the Hessian for a
block of particles x[P, n], with the parameters and data fixed.

Optimizers and variational inference are consumers of the same compiled
kernel as `run`: they need values, not steps. A scalar model's kernel has
vectorized NumPy functions of E, ∇E and ∂²E (printed from the System's
Gibbs derivatives); an indexed model's kernel has compiled element loops of
E and ∇E (`_rows`, which runs the kernel's own `energy` and `grad_energy`
over the rows of a block, the data read-only). The Hessian of an indexed
model is not derived: the element calculus gives ∂E/∂w[k] for all k as one
expression of k, but the Hessian is an expression of two element indices
(k, l), which neither derive/ nor the loop printer has. For those models
it is the central difference of the exact compiled gradient, column by
column (2n gradients; error O(h²) relative, about 1e-10), and says so.
This module must not import SymPy.
"""

from __future__ import annotations

import functools
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import numpy as np

from actionc.errors import RunError

FINITE_DIFFERENCE_MAX = 4096  # state entries above which an indexed model's Hessian is not formed (2n gradients)
ROWS_PER_THREAD = 4  # a block of fewer rows is evaluated on the calling thread


@functools.lru_cache(maxsize=1)
def _pool() -> tuple[ThreadPoolExecutor, int]:
    """The threads that evaluate blocks of rows: the kernel's `_rows` runs
    without the GIL, and each row is independent, so the split never
    changes a value."""
    threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return ThreadPoolExecutor(max_workers=threads), threads


@dataclass(frozen=True)
class Objective:
    """E, ∇E, ∂²E of one compiled energy model at fixed parameters and data;
    or, for a model with a density (a diffusion model, `density = …`),
    E = −log p at the model's time 0 (the kernel's `time`, T = 1)."""

    module: object
    p: np.ndarray  # (n_params,) the parameter values, sizes included
    data: np.ndarray  # flat data arrays (indexed models), or a placeholder
    names: tuple[str, ...]
    indexed: bool
    temperature: float
    density: bool = False  # E = −log p(x, time), ∇E = −score
    time: float = 0.0  # the kernel time of a density: its horizon, the model's time 0

    @property
    def n(self) -> int:
        return len(self.names)

    @property
    def hessian_exact(self) -> bool:
        """Whether the Hessian is derived (scalar energy models) or differenced from the exact gradient."""
        return not (self.indexed or self.density)

    def at(self, data: np.ndarray, size_index: int, size: int) -> Objective:
        """The same model on other data rows: `data` with the size p[size_index] = size (minibatches)."""
        p = self.p.copy()
        p[size_index] = size
        return replace(self, p=p, data=np.ascontiguousarray(data, dtype=float))

    def energy(self, x: np.ndarray) -> np.ndarray:
        """E at each row of x (P, n) → (P,)."""
        if self.density:
            return -np.asarray(self.module.np_log_density(x, self.time, self.p), dtype=float).reshape(len(x))
        if not self.indexed:
            return np.asarray(self.module.np_energy(x, 0.0, self.p), dtype=float).reshape(len(x))
        out = np.empty((len(x), 1))
        self._rows(2, x, out)
        return out[:, 0]

    def gradient(self, x: np.ndarray) -> np.ndarray:
        """∇E at each row of x (P, n) → (P, n)."""
        if self.density:
            return -np.asarray(self.module.np_score(x, self.time, self.p), dtype=float).reshape(x.shape)
        if not self.indexed:
            return np.asarray(self.module.np_gradient(x, 0.0, self.p), dtype=float).reshape(x.shape)
        out = np.empty_like(x)
        self._rows(3, x, out)
        return out

    def energy_and_gradient(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """E and ∇E at each row of x: an indexed model's in one pass over its data."""
        if not self.indexed or self.density:
            return self.energy(x), self.gradient(x)
        out = np.empty((len(x), self.n + 1))
        self._rows(4, x, out)
        return out[:, -1], out[:, :-1]

    def hessian(self, x: np.ndarray) -> np.ndarray:
        """∂²E at each row of x (P, n) → (P, n, n)."""
        if self.hessian_exact:
            return np.asarray(self.module.np_hessian(x, 0.0, self.p), dtype=float).reshape(len(x), self.n, self.n)
        hessians = np.empty((len(x), self.n, self.n))
        for r, row in enumerate(np.asarray(x, dtype=float)):
            h = 1e-5 * np.maximum(1.0, np.abs(row))  # central differences: error O(h²)
            shifted = np.repeat(row[None, :], 2 * self.n, axis=0)
            k = np.arange(self.n)
            shifted[k, k] += h
            shifted[self.n + k, k] -= h
            g = self.gradient(shifted)
            columns = (g[: self.n] - g[self.n :]) / (2 * h[:, None])  # row k: ∂∇E/∂x_k
            hessians[r] = (columns + columns.T) / 2
        return hessians

    def _rows(self, code: int, x: np.ndarray, out: np.ndarray) -> None:
        x = np.ascontiguousarray(x, dtype=float)
        rows = len(x)
        p = np.ascontiguousarray(np.broadcast_to(self.p, (rows, len(self.p))))  # the types the kernel was compiled for
        t = np.zeros(rows)
        pool, threads = _pool()
        blocks = min(threads, rows // ROWS_PER_THREAD)
        if blocks < 2:
            self.module._rows(code, x, t, p, self.data, out)
            return
        edges = np.linspace(0, rows, blocks + 1).astype(int)
        futures = [
            pool.submit(self.module._rows, code, x[a:b], t[a:b], p[a:b], self.data, out[a:b])
            for a, b in zip(edges[:-1], edges[1:])
        ]
        for future in futures:
            future.result()


def objective(compiled, params: dict, data: np.ndarray | None, names: list[str]) -> Objective:
    """The Objective of a Compiled energy model at these parameter values
    (one value each: a sweep is refused) and data."""
    meta = compiled.meta
    density = "log_density" in meta.functions and "score" in meta.functions and "energy" not in meta.functions
    if not density and ("energy" not in meta.functions or "gradient" not in meta.functions):
        raise RunError(
            f"'{meta.model}' is a {meta.kind.value} model: optimize and vi need an energy model (energy = …) "
            "or a model with a density",
            hint="write the negative log density as `energy = …` (with a `temperature`, T = 1 by default)",
        )
    swept = [k for k, v in params.items() if np.ndim(v) > 0]
    if swept:
        raise RunError(f"parameter '{swept[0]}' has one value per particle: optimize takes one value each")
    module = compiled.kernel.module
    p = np.array([float(params.get(k, v)) for k, v in meta.params] or [0.0])
    if density:  # −log p at the model's time 0: the kernel's time T (it runs the model's time from T to 0)
        time = compiled.horizon(**params)
        return Objective(module, p, np.zeros(1), tuple(names), False, 1.0, density=True, time=time)
    indexed = meta.indexed
    if not indexed:
        temperature = float(np.asarray(module.np_temperature(np.zeros(len(names)), 0.0, p)).reshape(-1)[0])
    else:
        temperature = float(module.gibbs_constants(p)[0])
    data = np.zeros(1) if data is None else np.ascontiguousarray(data, dtype=float)
    return Objective(module, p, data, tuple(names), indexed, temperature)
