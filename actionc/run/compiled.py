"""A compiled model you can run (made by actionc.compile, in actionc.pipeline)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from actionc.codegen.kernel import Kernel, KernelMeta
from actionc.run import embed
from actionc.run.result import Result
from actionc.run.simulate import simulate


@dataclass(frozen=True)
class Compiled:
    """A model compiled with one method. `run` simulates ensembles; the
    kernel's source is in `source`, its file at `kernel.path`. Pickles
    cheaply (by path), so it can be used from worker processes."""

    kernel: Kernel
    model_hash: str = ""
    model_source: str = ""  # the .act text, kept in every result's meta

    @property
    def method(self) -> str:
        return self.kernel.method

    @property
    def names(self) -> list[str]:
        return self.kernel.names

    @property
    def params(self) -> dict[str, float]:
        """Parameter defaults; override any of them per run, no recompiling."""
        return self.kernel.params

    @property
    def source(self) -> str:
        return self.kernel.source

    @property
    def meta(self) -> KernelMeta:
        """What the kernel says of itself: kind, state layout, methods, functions."""
        return self.kernel.meta

    @property
    def functions(self) -> list[str]:
        """The names `function` accepts for this model."""
        return sorted(self.kernel.meta.functions)

    def has(self, name: str) -> bool:
        """Whether the model has the function `name` (an energy, a Lagrangian, …)."""
        return name in self.kernel.meta.functions

    def function(self, name: str):
        """A vectorized NumPy callable f(x, t=0.0, **params) of the model:
        "drift", "ito_drift" (Stratonovich models), "diffusion",
        "invariants", for lagrangian models "lagrangian" and its
        "lagrangian_gradient" and "lagrangian_hessian" in (q, q'), and for
        energy models "energy", "score", "gradient" and "hessian". x has the
        state on its last axis; parameters default to the model's."""
        implementation = getattr(self.kernel.module, f"np_{name}", None)
        if implementation is None:
            raise AttributeError(f"no function '{name}' for this model; it has: {', '.join(self.functions)}")
        defaults = self.params

        def call(x, /, t=0.0, **params):  # x positional-only: a parameter may be named x
            unknown = set(params) - set(defaults)
            if unknown:
                raise TypeError(f"unknown parameters: {', '.join(sorted(unknown))}")
            values = [np.asarray(params.get(k, v), dtype=float) for k, v in defaults.items()]
            p = np.stack(np.broadcast_arrays(*values), axis=-1) if values else np.zeros(1)
            return implementation(x, t, p)

        call.__name__ = name
        call.__doc__ = implementation.__doc__
        return call

    def horizon(self, **params) -> float:
        """The horizon T of a model with data or a density: samplers run the
        model's time from T down to 0."""
        return float(self.function("horizon")(np.zeros(len(self.names)), **params))

    def numba(self, name: str):
        """A model function of the kernel as a Numba function, callable from
        your own @njit code: drift(x, t, p) and advance(x, t, dt, p, s, c,
        counts) take and return tuples (see docs/embedding.md)."""
        function = getattr(self.kernel.module, name, None)
        if function is None or not hasattr(function, "py_func"):
            raise AttributeError(f"the kernel has no Numba function '{name}'")
        return function

    def cfunc(self, name: str):
        """A C-callable version ("drift" or "step") with .address and .ctypes."""
        return embed.c_callable(self.kernel.module, name)

    def llvm(self, name: str = "step") -> str:
        """The LLVM IR of a C-callable function."""
        return self.cfunc(name).inspect_llvm()

    def run(self, *, dt: float, steps: int, invariants: bool = True, client=None, **options) -> Result:
        """Simulate; see actionc.run.simulate.simulate for the options
        (particles, seed, params, init, save_every, threads, rtol, atol).
        With invariants=True the invariants are evaluated at every save.
        With a dask.distributed `client`, the particles run in ranges on
        its cluster, bit-identical to a local run; then particles_per_task
        and out (a .zarr store the workers write) are options too, see
        actionc.run.distributed.run and docs/scaling.md."""
        if client is not None:
            from actionc.run import distributed

            return distributed.run(client, self, dt=dt, steps=steps, invariants=invariants, **options)
        result = simulate(self.kernel, dt=dt, steps=steps, model_hash=self.model_hash, **options)
        if self.model_source:
            result.meta["source"] = self.model_source
        if invariants and result.invariant_names:
            with np.errstate(over="ignore", invalid="ignore"):  # diverged particles, frozen near the float limit
                result.invariants = self.evaluate_invariants(result)
        return result

    def evaluate_invariants(self, result: Result) -> np.ndarray:
        """The invariants at every save: (saves, particles, invariants)."""
        values = {k: np.asarray(v, dtype=float) for k, v in result.meta["params"].items()}
        invariants = self.function("invariants")
        return invariants(result.x, result.t[:, None], **{k: v[None, ...] if v.ndim else v for k, v in values.items()})
