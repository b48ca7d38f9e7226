"""A compiled model you can run (made by actionc.compile, in actionc.pipeline)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import numpy as np

from actionc.codegen.kernel import Kernel, KernelMeta
from actionc.errors import RunError
from actionc.methods import Direction
from actionc.run import embed
from actionc.run.inputs import load as load_inputs
from actionc.run.request import default_save_every
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
    folder: str = ""  # the model file's folder: where its data files are found

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
        self.scalar_only("a C-callable function")
        return embed.c_callable(self.kernel.module, name)

    def scalar_only(self, what: str) -> None:
        """A RunError if this is an indexed model, for what supports only scalar models yet."""
        if self.kernel.meta.indexed:
            raise RunError(
                f"{what} is not supported for indexed models (arrays) yet",
                hint="indexed models run with 'actionc run' and compile(...).run(); docs/indexed.md lists what they "
                "support",
            )

    def llvm(self, name: str = "step") -> str:
        """The LLVM IR of a C-callable function."""
        return self.cfunc(name).inspect_llvm()

    def data(self, inputs: Mapping | None = None) -> tuple[np.ndarray, dict[str, int]]:
        """The flat data arrays of an indexed model's inputs, and the sizes
        they set: from the model's files, or `inputs` (name → array or path)."""
        folder = Path(self.folder) if self.folder else None
        return load_inputs(self.kernel.meta.inputs, folder, inputs)

    def run(
        self,
        *,
        dt: float,
        steps: int,
        particles: int = 1,
        seed: int = 0,
        params: Mapping[str, float | np.ndarray] | None = None,
        init: Mapping[str, float | np.ndarray | str] | None = None,
        save_every: int | None = None,
        t0: float = 0.0,
        threads: int | None = None,
        rtol: float = 1e-6,
        atol: float = 1e-9,
        warmup: int | None = None,
        target_accept: float = 0.8,
        trajectory_length: float = math.pi / 2,
        replicas: int = 8,
        hottest: float = 10.0,
        progress: bool | None = None,
        chunk_steps: int | None = None,
        crossings: int = 1000,
        invariants: bool = True,
        inputs: Mapping | None = None,
        client=None,
        particles_per_task: int | None = None,
        out: str | None = None,
        first_particle: int = 0,
    ) -> Result:
        """Simulate `particles` copies for `steps` steps of size `dt`, from
        time `t0` (a Lagrangian singular at t = 0, like Nesterov's, needs
        t0 > 0).

        seed: the run's randomness is a pure function of (seed, particle,
        step). params: parameter overrides, each a number or one value per particle
        (a sweep, never recompiled). init: initial values by state name
        (velocities as q_dot): a number, one value per particle, or
        "normal(MEAN, STD)" / "uniform(LOW, HIGH)" drawn per particle.
        save_every: keep the state every K-th step; by default about 100
        saves (only the first and last where those would not fit in memory),
        as the CLI does without --out — save_every=1 keeps every step.
        threads: worker threads (default: all cores). rtol, atol: tolerances
        of dopri5. warmup, target_accept, trajectory_length: of hmc and nuts
        (docs/running.md); replicas, hottest: the temperature ladder of
        tempering (docs/sampling.md). progress: a progress bar on stderr (default: when
        it is a terminal); chunk_steps: steps between Ctrl-C checks (never
        changes the result). crossings: of a model compiled with a section,
        the crossings kept per particle. With invariants=True the invariants
        are evaluated at every save. A model compiled with `until` or
        `section` (actionc.compile) records its events in result.events.
        inputs: the data arrays of an indexed model, by name (arrays or
        paths; default: the files the model names). With a dask.distributed
        `client`, the particles run in ranges of `particles_per_task` on its
        cluster, bit-identical to a local run, and `out` is a .zarr store the
        workers write (actionc.run.distributed, docs/scaling.md).
        first_particle: these particles are particles first_particle, … of
        a larger run (a range run alone draws what the whole run draws)."""
        options = dict(  # what a local and a distributed run share
            dt=dt,
            steps=steps,
            particles=particles,
            seed=seed,
            params=params,
            init=init,
            t0=t0,
            rtol=rtol,
            atol=atol,
            warmup=warmup,
            target_accept=target_accept,
            trajectory_length=trajectory_length,
            replicas=replicas,
            hottest=hottest,
            progress=progress,
            chunk_steps=chunk_steps,
        )
        if client is not None:
            save_every = save_every or default_save_every(steps)
            extra = dict(save_every=save_every, invariants=invariants, particles_per_task=particles_per_task, out=out)
            return self._distributed(client, {**options, **extra})
        if out is not None or particles_per_task is not None:
            raise RunError("out and particles_per_task are options of a distributed run (client=)")
        data = None
        if self.kernel.meta.inputs:
            data, sizes = self.data(inputs)
            for size, value in sizes.items():
                if size in (params or {}) and np.any(np.asarray(params[size]) != value):
                    raise RunError(f"the size '{size}' is {value} in the data; it cannot be set to {params[size]}")
            options["params"] = {**(params or {}), **sizes}
        elif inputs:
            raise RunError("this model reads no data arrays ('input' statements)")
        result = simulate(
            self.kernel,
            **options,
            save_every=save_every,
            threads=threads,
            crossings=crossings,
            model_hash=self.model_hash,
            data=data,
            first_particle=first_particle,
        )
        if self.model_source:
            result.meta["source"] = self.model_source
        if self.meta.direction is not Direction.FORWARD and self.has("horizon"):  # the model's time is T − t
            scalars = {k: v for k, v in (params or {}).items() if np.ndim(v) == 0}
            result.meta["horizon"] = self.horizon(**scalars)
        if invariants and result.invariant_names:
            with np.errstate(over="ignore", invalid="ignore"):  # diverged particles, frozen near the float limit
                result.invariants = self.evaluate_invariants(result)
        return result

    def optimize(self, method: str = "lbfgs", **options) -> Result:
        """Minimize the energy from `particles` starts drawn from the model's
        init: method gd, momentum, nesterov, adam, newton or lbfgs. options:
        particles, seed, params, init, inputs (as for run); max_iter, tol
        (stop when ‖∇E‖₂ ≤ tol); lr (the step: gd without it searches a
        line), momentum (β of momentum, constant μ of nesterov, β₁ of adam),
        memory (lbfgs pairs); save_every (the path, every K iterations;
        result.t counts iterations); hessian (the eigenvalues and Laplace
        approximation of each minimum); group_tol; batch (sgd: minibatches
        of that many data rows, actionc.run.minibatch). The minima, grouped, are
        in result.meta["optimize"]["minima"] (actionc.run.optimize)."""
        from actionc.run.optimize import optimize

        return optimize(self, method, **options)

    def sgld(self, *, dt: float, steps: int, batch: int, **options) -> Result:
        """Stochastic-gradient Langevin dynamics of an energy summing over
        data (actionc.run.sgld): minibatches of `batch` rows. options:
        particles, seed, params, init, inputs, save_every, decay (a step
        dt (1 + k/decay)^−0.55 instead of a constant one)."""
        from actionc.run.sgld import sgld

        return sgld(self, dt=dt, steps=steps, batch=batch, **options)

    def vi(self, family: str = "gaussian", **options) -> Result:
        """Fit q = N(μ, Σ) to exp(−E/T) by minimizing KL(q ‖ p) along the
        Bures–Wasserstein gradient flow (actionc.run.vi): family "gaussian"
        or "diagonal". options: seed, params, init, inputs; start
        ("laplace" or "init"), max_steps, tol, lr, save_every. μ, Σ and the
        ELBO are in result.meta["vi"]."""
        from actionc.run.vi import vi

        return vi(self, family, **options)

    def _distributed(self, client, options: dict) -> Result:
        """The run on a Dask cluster (actionc.run.distributed)."""
        from actionc.run import distributed

        self.scalar_only("a distributed run")
        if self.kernel.meta.event is not None:
            raise RunError("events (--until, --section) are not supported in a distributed run yet")
        return distributed.run(client, self, **options)

    def evaluate_invariants(self, result: Result) -> np.ndarray:
        """The invariants at every save: (saves, particles, invariants)."""
        values = {k: np.asarray(v, dtype=float) for k, v in result.meta["params"].items()}
        invariants = self.function("invariants")
        return invariants(result.x, result.t[:, None], **{k: v[None, ...] if v.ndim else v for k, v in values.items()})
