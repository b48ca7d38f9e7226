"""actionc.density: the density p(x, t) of an SDE or energy model on a grid.

model ──lower──► System ──fields──► NumPy coefficients ──operator──► L
init ─► p(0) ──evolve (implicit Euler, sparse LU)──► p(t), F[p](t)
L ──► stationary density (null vector), slowest rates (shift-invert)
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.special import ndtr

from actionc import __version__
from actionc.errors import RunError
from actionc.run.density import evolve
from actionc.run.density.fields import Coefficients, coefficients
from actionc.run.density.grid import Axis, Grid, parse_axes, parse_boundaries
from actionc.run.density.operator import assemble

CELLS = {1: 400, 2: 160, 3: 48}  # default cells per axis
RESERVED = ("t", "p", "names", "meta", "free_energy", "relative_entropy", "stationary", "rates")


@dataclass
class DensityResult:
    """Densities at the saves: p[save, i_x, i_y, …] integrates to 1 over the
    cells (Σ p · cell volume), with the grid and what produced it."""

    t: np.ndarray
    p: np.ndarray
    grid: Grid
    meta: dict
    free_energy: np.ndarray | None = None  # F[p] at each save (energy models)
    relative_entropy: np.ndarray | None = None  # KL(p ‖ Gibbs) = (F − F_eq)/T
    stationary: np.ndarray | None = None  # the null vector of L, on the grid
    rates: np.ndarray | None = None  # −λ of the slowest eigenvalues, 0 first

    @property
    def names(self) -> tuple[str, ...]:
        return self.grid.names

    def centres(self, name: str) -> np.ndarray:
        return self.grid.axes[self.names.index(name)].centres

    def mass(self) -> np.ndarray:
        """Σ p · volume at each save: 1 up to round-off unless a boundary absorbs."""
        return self.p.reshape(len(self.t), -1).sum(axis=1) * self.grid.volume

    def marginal(self, name: str, save: int = -1) -> np.ndarray:
        """The density of one state variable at a save (the others integrated out)."""
        k = self.names.index(name)
        others = tuple(1 + j for j in range(len(self.names)) if j != k)
        width = np.prod([a.spacing for j, a in enumerate(self.grid.axes) if j != k])
        return self.p[save : save + 1 if save != -1 else None].sum(axis=others)[0] * width

    def save(self, path: str | Path) -> None:
        """An .npz like a run's: t, p, names, meta (JSON), and each axis's cell
        centres under its state name (`grid_NAME` when the name is taken)."""
        arrays = {
            "t": self.t,
            "p": self.p,
            "names": np.array(self.names, dtype=np.str_),
            "meta": np.array(json.dumps(self.meta, allow_nan=False), dtype=np.str_),
        }
        for axis in self.grid.axes:
            arrays[_centres_key(axis.name)] = axis.centres
        for key in ("free_energy", "relative_entropy", "stationary", "rates"):
            if getattr(self, key) is not None:
                arrays[key] = getattr(self, key)
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp.npz")
        os.close(handle)
        try:
            np.savez(temporary, **arrays)
            os.replace(temporary, path)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)

    @classmethod
    def load(cls, path: str | Path) -> DensityResult:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            if meta.get("command") != "density":
                raise ValueError("not a result of actionc density")
            grid = Grid(tuple(Axis(**axis) for axis in meta["grid"]))
            extra = {k: data[k] for k in ("free_energy", "relative_entropy", "stationary", "rates") if k in data}
            return cls(t=data["t"], p=data["p"], grid=grid, meta=meta, **extra)

    def summary(self) -> str:
        meta = self.meta
        mass = self.mass()
        lines = [
            f"{meta['model']}: Fokker–Planck on {self.grid.describe()}",
            f"  {meta['scheme']} scheme; implicit Euler, {meta['steps']} steps of dt = {meta['dt']:g} "
            f"(t = {self.t[-1]:g}, {len(self.t)} saves)",
            f"  mass {mass[-1]:.15g} (change {mass[-1] - mass[0]:.3g}), min p {self.p.min():.3g}",
        ]
        for k, name in enumerate(self.names):
            density = self.marginal(name)
            x, h = self.centres(name), self.grid.axes[k].spacing
            mean = (density * x).sum() * h / max(density.sum() * h, 1e-300)
            std = np.sqrt(max((density * (x - mean) ** 2).sum() * h / max(density.sum() * h, 1e-300), 0.0))
            lines.append(f"  {name}: final mean {mean:.6g}, std {std:.6g}")
        if self.free_energy is not None:
            steps = np.diff(self.free_energy)
            lines.append(
                f"  free energy F[p] {self.free_energy[0]:.6g} -> {self.free_energy[-1]:.6g} "
                f"(largest step {steps.max() if steps.size else 0:.3g}: "
                f"{'decreasing' if steps.size == 0 or steps.max() <= 0 else 'NOT monotone'})"
            )
        if self.stationary is not None:
            lines.append(f"  stationary density: max {self.stationary.max():.6g}, min {self.stationary.min():.3g}")
        if self.rates is not None:
            rates = ", ".join(f"{r:.6g}" for r in self.rates)
            lines.append(f"  slowest rates −λ: {rates}")
        return "\n".join(lines)


def _centres_key(name: str) -> str:
    return f"grid_{name}" if name in RESERVED else name


@dataclass(frozen=True)
class Problem:
    """A model's Fokker–Planck equation on a grid, ready to solve: the
    coefficients, the parameter vector p, the initial density, and L(t)."""

    name: str
    kind: str
    source: str
    grid: Grid
    fields: Coefficients
    p: np.ndarray
    initial: np.ndarray  # (*grid.shape)

    def operator(self, t: float = 0.0):
        """L at time t: dp/dt = L p on the flattened cells (SciPy CSR)."""
        return assemble(self.grid, self.fields, t, self.p)

    def energy(self) -> tuple[np.ndarray, float] | None:
        """E at the cells (flattened) and T, for energy models."""
        return None if self.fields.energy is None else _energy(self.fields, self.grid, self.p)


def discretize(model, *, grid=None, boundary=None, params=None, initial=None) -> Problem:
    """The Problem of `model` (an .act path or a Model); see `solve`."""
    from actionc.lower import lower

    model, source = _model_of(model)
    system = lower(model)
    fields = coefficients(system)
    p = fields.vector(params)
    grid = _grid(fields, system.names, grid, boundary, p)
    p0 = _initial_density(fields, grid, p) if initial is None else _given_density(initial, grid)
    return Problem(system.name, system.kind, source, grid, fields, p, p0)


def solve(
    model,
    *,
    t_end: float | None = None,
    dt: float | None = None,
    save_every: int = 1,
    grid: str | dict | None = None,
    boundary: str | dict | None = None,
    params: dict | None = None,
    initial: np.ndarray | None = None,
    stationary: bool = False,
    eigenvalues: int = 0,
) -> DensityResult:
    """Solve the Fokker–Planck equation of `model` (an .act path or a Model).

    grid: "x=-3:3:200,…" or {name: (low, high, cells)}, missing axes get a
    default; boundary: "x=periodic,…" or {name: boundary}; t_end and dt (default
    t_end/1000) the implicit Euler steps, saving every `save_every`-th;
    initial: a density on the grid instead of the model's init. With
    `stationary` the null vector of the operator, with `eigenvalues` = K the
    K slowest decay rates (0 first) are computed too."""
    problem = discretize(model, grid=grid, boundary=boundary, params=params, initial=initial)
    grid, fields = problem.grid, problem.fields
    steps, dt = _steps(t_end, dt, save_every, stationary or eigenvalues > 0)
    L = problem.operator(0.0)
    start = problem.initial.ravel()
    t, saves = evolve.implicit_euler(problem.operator, start, dt, steps, save_every, fields.time_dependent)
    result = DensityResult(t, saves.reshape((len(t), *grid.shape)), grid, {})
    if fields.energy is not None:
        energy, temperature = problem.energy()
        result.free_energy = evolve.free_energy(saves, energy, temperature, grid.volume)
        if grid.conserving:
            equilibrium = evolve.free_energy(evolve.gibbs(energy, temperature, grid.volume), energy, temperature, 1.0)
            result.relative_entropy = (result.free_energy - equilibrium * grid.volume) / temperature
    if stationary:
        if not grid.conserving or fields.time_dependent:
            raise RunError("a stationary density needs reflecting or periodic boundaries and a time-independent model")
        result.stationary = evolve.stationary(L, grid.volume).reshape(grid.shape)
    if eigenvalues:
        result.rates = evolve.slowest_eigenvalues(L, eigenvalues)
    result.meta = {
        "command": "density",
        "model": problem.name,
        "kind": problem.kind,
        "state": list(grid.names),
        "scheme": "gibbs" if fields.gibbs_exact else "exponential-fitting",
        "grid": grid.to_meta(),
        "dt": dt,
        "steps": steps,
        "save_every": save_every,
        "params": dict(zip(fields.params, problem.p.tolist())),
        "time_dependent": fields.time_dependent,
        "initial": "given" if initial is not None else "init",
        "source": problem.source,
        "actionc": __version__,
    }
    return result


def _model_of(model):
    from actionc.lang import load

    if isinstance(model, (str, Path)):
        model = load(str(model))
    return model, model.source or ""


def _steps(t_end, dt, save_every, analysis_only) -> tuple[int, float]:
    if t_end is None:
        if not analysis_only:
            raise RunError("give t_end (--t-end), or ask for the stationary density or eigenvalues")
        return 0, 0.0
    dt = dt or t_end / 1000
    steps = round(t_end / dt)
    if steps < 1 or abs(steps * dt - t_end) > 1e-9 * t_end:
        raise RunError(f"t_end {t_end:g} is not a whole number of steps of dt {dt:g}")
    if steps % save_every:
        raise RunError(f"{steps} steps is not a whole number of saves every {save_every}")
    return steps, dt


def _grid(fields: Coefficients, names, grid, boundary, p) -> Grid:
    given = parse_axes(grid, names) if grid is None or isinstance(grid, str) else dict(grid)
    sides = parse_boundaries(boundary, names) if boundary is None or isinstance(boundary, str) else dict(boundary)
    missing = [name for name in names if name not in given]
    if missing:
        default = _default_box(fields, names, p)
        cells = CELLS[len(names)]
        given.update({name: (*default[name], cells) for name in missing})
    return Grid(
        tuple(
            Axis(name, *map(float, given[name][:2]), int(given[name][2]), sides.get(name, "reflecting"))
            for name in names
        )
    )


def _initial_spread(fields: Coefficients, names, p) -> dict[str, list[tuple[float, float]]]:
    """Intervals where the initial density lives, per state variable."""
    values = np.atleast_1d(fields.initial(np.zeros(len(names)), 0.0, p))
    spread: dict[str, list] = {name: [] for name in names}
    at = 0
    for distribution, index, count in fields.layout:
        args = values[at : at + count]
        at += count
        if distribution == "value":
            spread[names[index]].append((args[0], args[0]))
        elif distribution == "normal":
            spread[names[index]].append((args[0] - 6 * args[1], args[0] + 6 * args[1]))
        elif distribution == "uniform":
            spread[names[index]].append((args[0], args[1]))
        else:  # a Gaussian of a mixture: weight, mean, covariance
            n = len(names)
            mean, cov = args[1 : 1 + n], args[1 + n :].reshape(n, n)
            for k, name in enumerate(names):
                width = 6 * np.sqrt(max(cov[k, k], 0.0))
                spread[name].append((mean[k] - width, mean[k] + width))
    return {name: intervals or [(0.0, 0.0)] for name, intervals in spread.items()}


def _default_box(fields: Coefficients, names, p) -> dict[str, tuple[float, float]]:
    """Energy models: where E < min E + 20 T near the init (exp(−20) ≈ 2e-9);
    SDE models: the initial density's support widened by 5 on each side."""
    spread = _initial_spread(fields, names, p)
    box = {name: (min(a for a, _ in s) - 5.0, max(b for _, b in s) + 5.0) for name, s in spread.items()}
    if not fields.gibbs_exact:
        return box
    scan = Grid(tuple(Axis(name, box[name][0] - 5, box[name][1] + 5, 81) for name in names))
    energy, temperature = _energy(fields, scan, p)
    low = (energy - energy.min()) / temperature < 20
    points = scan.points().reshape(-1, len(names))[low]
    result = {}
    for k, name in enumerate(names):
        a, b = points[:, k].min(), points[:, k].max()
        a, b = min(a, *(s[0] for s in spread[name])), max(b, *(s[1] for s in spread[name]))
        pad = 0.05 * (b - a) + scan.axes[k].spacing
        result[name] = (a - pad, b + pad)
    return result


def _energy(fields: Coefficients, grid: Grid, p) -> tuple[np.ndarray, float]:
    points = grid.points()
    energy = np.asarray(fields.energy(points, 0.0, p)) + np.zeros(grid.shape)
    temperature = float(fields.temperature(points[(0,) * len(grid.shape)], 0.0, p))
    return energy.ravel(), temperature


def _initial_density(fields: Coefficients, grid: Grid, p) -> np.ndarray:
    """The model's init as cell averages: a value is a point mass shared by the
    two nearest cells (so its mean is exact), a normal or uniform the exact
    mass of each cell; a mixture of Gaussians its density at the centres.
    Variables without init start at 0, as in `run`."""
    names = grid.names
    values = np.atleast_1d(fields.initial(np.zeros(len(names)), 0.0, p))
    masses = {name: None for name in names}
    mixture = np.zeros(grid.shape)
    at = 0
    for distribution, index, count in fields.layout:
        args = values[at : at + count]
        at += count
        if distribution == "gaussian":
            mixture += _gaussian(grid, args)
        else:
            axis = grid.axes[index]
            masses[axis.name] = _axis_mass(axis, distribution, args)
    if any(d == "gaussian" for d, _, _ in fields.layout):
        density = mixture
    else:
        density = np.ones(())
        for axis in grid.axes:
            mass = masses[axis.name] if masses[axis.name] is not None else _axis_mass(axis, "value", [0.0])
            density = np.multiply.outer(density, mass / axis.spacing)
    total = density.sum() * grid.volume
    if not total > 0.999:
        raise RunError(
            f"only {total:.3g} of the initial probability lies on the grid ({grid.describe()})",
            hint="widen the grid with --grid NAME=LOW:HIGH:CELLS",
        )
    return density / total


def _axis_mass(axis: Axis, distribution: str, args) -> np.ndarray:
    edges, centres, h = axis.edges, axis.centres, axis.spacing
    if distribution == "normal" and args[1] > 0:
        return np.diff(ndtr((edges - args[0]) / args[1]))
    if distribution == "uniform" and args[1] > args[0]:
        overlap = np.clip(np.minimum(edges[1:], args[1]) - np.maximum(edges[:-1], args[0]), 0.0, None)
        return overlap / (args[1] - args[0])
    value = args[0]
    if not axis.low <= value <= axis.high:
        raise RunError(f"the initial value {axis.name} = {value:g} is outside the grid [{axis.low:g}, {axis.high:g}]")
    mass = np.zeros(axis.cells)
    s = np.clip((value - centres[0]) / h, 0.0, axis.cells - 1.0)
    i = min(int(np.floor(s)), axis.cells - 2)
    mass[i], mass[i + 1] = 1.0 - (s - i), s - i
    return mass


def _gaussian(grid: Grid, args) -> np.ndarray:
    n = len(grid.axes)
    weight, mean, cov = args[0], args[1 : 1 + n], args[1 + n :].reshape(n, n)
    offset = grid.points() - mean
    solved = np.linalg.solve(cov, offset.reshape(-1, n).T).T.reshape(offset.shape)
    exponent = -0.5 * (offset * solved).sum(axis=-1)
    return weight * np.exp(exponent) / np.sqrt((2 * np.pi) ** n * np.linalg.det(cov))


def _given_density(initial, grid: Grid) -> np.ndarray:
    density = np.asarray(initial, dtype=float)
    if density.shape != grid.shape:
        raise RunError(f"the initial density has shape {density.shape}, the grid {grid.shape}")
    if not np.all(np.isfinite(density)) or density.min() < 0 or density.sum() <= 0:
        raise RunError("the initial density must be finite, non-negative and not all zero")
    return density / (density.sum() * grid.volume)
