"""The summary of a run, kept as statistics that add up over particles.

`actionc run` without --out prints only a summary: the final mean and
spread of each state variable and the drift of each invariant. Those add
up over disjoint sets of particles (means and sums of squared deviations
merge exactly, Chan, Golub & LeVeque 1979; drifts are maxima), so a
summary-only run of 10^8 particles runs them in batches — each batch the
particles first, … of the whole run, drawing the same streams — and holds
one batch's states at a time (run_in_batches).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from actionc.errors import RunError

SUMMARY_ROWS = 24  # state entries a summary lists before it elides
SWEEP_GROUPS = 100  # the most values of a sweep summarized value by value
BATCH_GB = 1.0  # the memory one batch of a summary-only run may take


@dataclass
class Spread:
    """Count, mean and sum of squared deviations of each state variable."""

    count: int
    mean: np.ndarray
    squares: np.ndarray

    @classmethod
    def of(cls, final: np.ndarray) -> Spread:
        columns = np.ascontiguousarray(final.T)  # rows: NumPy's pairwise sums, as in np.std of a column
        with np.errstate(over="ignore", invalid="ignore"):
            mean = columns.mean(axis=1) if len(final) else np.zeros(len(columns))
            return cls(len(final), mean, ((columns - mean[:, None]) ** 2).sum(axis=1))

    def __add__(self, other: Spread) -> Spread:
        count = self.count + other.count
        if not self.count or not other.count:
            return self if other.count == 0 else other
        with np.errstate(over="ignore", invalid="ignore"):
            delta = other.mean - self.mean
            mean = self.mean + delta * (other.count / count)
            squares = self.squares + other.squares + delta**2 * (self.count * other.count / count)
        return Spread(count, mean, squares)

    def std(self) -> np.ndarray:
        with np.errstate(over="ignore", invalid="ignore"):
            return np.sqrt(self.squares / max(1, self.count))


@dataclass
class Summary:
    """What a summary says of a run, or of several disjoint batches of it (+)."""

    head: str  # model: method, …
    particles: int
    steps: int
    dt: float
    t0: float
    t_end: float
    complete: bool
    names: list[str]
    groups: dict[str, Spread]  # a sweep's label → its particles' spread ('' for all)
    invariant_names: list[str] = field(default_factory=list)
    drift: np.ndarray | None = None  # max |I(t) − I(0)| of each invariant
    scale: np.ndarray | None = None  # max |I(0)|
    diverged: int = 0
    tail: list[str] = field(default_factory=list)  # the lines of events and sampler statistics (not batched)

    @classmethod
    def of(cls, result) -> Summary:
        kept = ~result.diverged_particles()
        final = result.x[-1]
        meta = result.meta
        groups = {label: Spread.of(final[members & kept]) for label, members in _sweep_groups(result)}
        drift = scale = None
        if result.invariants is not None and result.invariant_names and kept.any():
            with np.errstate(over="ignore", invalid="ignore"):  # values near the float limit give inf, not warnings
                invariants = result.invariants[:, kept]
                first = invariants[0]
                drift = np.abs(invariants - first).max(axis=(0, 1))
                scale = np.abs(first).max(axis=0)
        tail = []
        if result.events:
            from actionc.run.events import summary_lines

            tail += summary_lines(result)
        stats = meta.get("stats") or {}
        if "acceptance_rate" in stats:
            tail.append(f"  acceptance rate {stats['acceptance_rate']:.3f}")
        return cls(
            head=f"{meta['model']}: {meta['method']}",
            particles=meta["particles"],
            steps=meta["steps"],
            dt=meta["dt"],
            t0=meta.get("t0", 0.0),
            t_end=float(result.t[-1]),
            complete=meta["complete"],
            names=list(result.names),
            groups=groups,
            invariant_names=list(result.invariant_names) if drift is not None else [],
            drift=drift,
            scale=scale,
            diverged=result.diverged,
            tail=tail,
        )

    def __add__(self, other: Summary) -> Summary:
        """The summary of two disjoint sets of the same run's particles."""
        groups = dict(self.groups)
        for label, spread in other.groups.items():
            groups[label] = groups[label] + spread if label in groups else spread
        drift, scale = self.drift, self.scale
        if other.drift is not None:
            drift = other.drift if drift is None else np.maximum(drift, other.drift)
            scale = other.scale if scale is None else np.maximum(scale, other.scale)
        return Summary(
            head=self.head,
            particles=self.particles + other.particles,
            steps=self.steps,
            dt=self.dt,
            t0=self.t0,
            t_end=self.t_end,
            complete=self.complete and other.complete,
            names=self.names,
            groups=groups,
            invariant_names=self.invariant_names or other.invariant_names,
            drift=drift,
            scale=scale,
            diverged=self.diverged + other.diverged,
            tail=self.tail + other.tail,
        )

    def text(self, of: int | None = None) -> str:
        """The summary's lines (of: the particles asked for, where an
        interrupted batched run summarizes fewer)."""
        span = f"(t = {self.t0:g} to {self.t_end:g})" if self.t0 else f"(t = {self.t_end:g})"
        lines = [
            f"{self.head}, {self.particles} particle(s), {self.steps} steps of dt = {self.dt:g} {span}"
            + ("" if self.complete else "  [incomplete: interrupted]")
            + (f"  [the first {self.particles} of {of} particles: interrupted]" if of and of > self.particles else "")
        ]
        summarized = sum(spread.count for spread in self.groups.values())
        if not summarized:
            lines.append("  every particle diverged: no mean or spread to show")
            return "\n".join(lines)
        width = max(len(n) for n in self.names)
        groups = self.groups
        if len(groups) == 1 or len(groups) > SWEEP_GROUPS or "" in groups:  # not a sweep of a few values
            groups = {"": sum(groups.values(), Spread(0, np.zeros(len(self.names)), np.zeros(len(self.names))))}
        for label, spread in groups.items():
            if label:
                lines.append(f"  {label} ({spread.count} particle(s)):")
            lines += self._spread(spread, width, indent="    " if label else "  ")
        if self.drift is not None:
            lines.append("  invariant drift, max over particles of |I(t) − I(0)| (relative to |I(0)|):")
            with np.errstate(over="ignore", invalid="ignore"):
                relative = self.drift / np.maximum(self.scale, 1e-300)
            for k, name in enumerate(self.invariant_names):
                lines.append(f"  {name:<{width}}  {self.drift[k]:>14.3g}  ({relative[k]:.3g} relative)")
        lines += self.tail
        if self.diverged:
            lines.append(
                f"  {self.diverged} particle(s) diverged (frozen at their last finite state), "
                f"left out of the lines above: {summarized} summarized"
            )
        return "\n".join(lines)

    def _spread(self, spread: Spread, width: int, indent: str) -> list[str]:
        if not spread.count:
            return [f"{indent}every particle diverged"]
        lines = [f"{indent}{'':<{width}}  {'mean':>14}  {'std':>14}"]
        shown = range(len(self.names))
        if len(self.names) > SUMMARY_ROWS:  # an indexed model's thousands of elements: the first and the last few
            shown = [*range(SUMMARY_ROWS - 4), None, *range(len(self.names) - 3, len(self.names))]
        std = spread.std()
        for k in shown:
            if k is None:
                more = len(self.names) - SUMMARY_ROWS + 1
                lines.append(f"{indent}{'…':<{width}}  ({more} more; all of them with --out)")
                continue
            lines.append(f"{indent}{self.names[k]:<{width}}  {spread.mean[k]:>14.6g}  {std[k]:>14.6g}")
        return lines


def _sweep_groups(result) -> list[tuple[str, np.ndarray]]:
    """(label, particles) for each value of the swept parameters (those with
    one value per particle) as run, up to SWEEP_GROUPS + 1 of them (a batch
    of a sweep may hold one value); else one group of every particle, ''."""
    particles = result.x.shape[1]
    swept = {k: np.asarray(v, float) for k, v in result.meta["params"].items() if isinstance(v, list)}
    if not swept:
        return [("", np.ones(particles, dtype=bool))]
    table = np.stack(list(swept.values()), axis=1)
    values, first, which = np.unique(table, axis=0, return_index=True, return_inverse=True)
    if len(values) > SWEEP_GROUPS + 1:  # one value more than text() shows is enough for it to tell
        return [("", np.ones(particles, dtype=bool))]
    return [
        (", ".join(f"{name} = {value:g}" for name, value in zip(swept, values[k])), which.ravel() == k)
        for k in np.argsort(first)
    ]


def batch_size(compiled, *, particles: int, steps: int, params: dict) -> int:
    """Particles per batch of a summary-only run: all of them where they fit in BATCH_GB."""
    from actionc.run import request

    meta = compiled.meta
    n = len(request.indexed_names(meta, params)) if meta.indexed else len(meta.state)
    swept = any(np.ndim(v) > 0 for v in params.values())
    saves = steps // request.default_save_every(steps) + 1
    total = request.memory(meta, saves, particles, swept, 0, n)[0]
    return particles if total <= BATCH_GB else max(1, int(particles * BATCH_GB / total))


def run_in_batches(compiled, *, particles: int, batch: int, seed: int = 0, params=None, init=None, **options):
    """Summary, and the first failure seen, of a run of `particles` particles
    in batches of `batch`: what compiled.run would summarize, holding one
    batch at a time. A Ctrl-C ends it after the batches that finished."""
    from actionc.run import request
    from actionc.run.simulate import Progress

    meta = compiled.meta
    if meta.event is not None or meta.stats:
        raise RunError(
            "this run's summary needs every particle at once (its events, or its integrator's counters)",
            hint="fewer --particles, or write the run range by range: --scheduler local:N --out run.zarr",
        )
    params = dict(params or {})
    names = request.indexed_names(meta, params) if meta.indexed else compiled.names  # as simulate names them
    init = request.drawn(dict(init or {}), names, seed, particles)
    summary, first_failure = None, None
    bar = Progress(particles, enabled=options.pop("progress", None))
    try:
        for first in range(0, particles, batch):
            count = min(batch, particles - first)
            result = compiled.run(
                particles=count,
                first_particle=first,
                seed=seed,
                params=request.share(params, first, count, particles),
                init=request.share(init, first, count, particles),
                progress=False,
                **options,
            )
            if not result.meta["complete"]:
                break  # its particles ran fewer steps than the others: left out
            failures = result.meta.get("failures")
            if first_failure is None and failures:
                first_failure = dict(failures[0], particle=failures[0]["particle"] + first)
            part = Summary.of(result)
            summary = part if summary is None else summary + part
            bar.update(first + count)
    finally:
        bar.close()
    if summary is None:
        raise KeyboardInterrupt
    return summary, first_failure
