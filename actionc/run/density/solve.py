"""The density p(x, t) of an SDE or energy model on a grid, from its System:

System ──fields──► NumPy coefficients ──operator──► L(t)
init ──initial──► p(0) ──evolve: implicit Euler, sparse LU──► p(t), F[p](t)
L ──evolve──► stationary density (null vector), slowest rates (shift-invert)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from actionc.errors import RunError
from actionc.run.density import evolve
from actionc.run.density.fields import Coefficients, coefficients
from actionc.run.density.grid import Axis, Grid, parse_axes, parse_boundaries
from actionc.run.density.initial import given_density, initial_density, initial_spread
from actionc.run.density.operator import assemble, periodic_energy
from actionc.run.density.result import DensityResult
from actionc.run.request import MAX_MEMORY_GB
from actionc.system import System
from actionc.version import __version__

CELLS = {1: 400, 2: 160, 3: 48}  # default cells per axis
SAVES = 100  # default number of saves after the start
MAX_CELLS = 1 << 22  # a sparse LU of 4 M cells already needs gigabytes


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

    @property
    def gibbs_exact(self) -> bool:
        """The Gibbs scheme on every face: exp(−E/T) at the cells is the
        discrete stationary state (an energy model whose energy is periodic
        along its periodic axes)."""
        return self.fields.gibbs_exact and all(
            periodic_energy(self.grid, self.fields, k, 0.0, self.p)
            for k, axis in enumerate(self.grid.axes)
            if axis.boundary == "periodic"
        )

    def energy(self) -> tuple[np.ndarray, float] | None:
        """E at the cells (flattened) and T, for energy models."""
        return None if self.fields.energy is None else _energy(self.fields, self.grid, self.p)


def discretize(system: System, *, grid=None, boundary=None, params=None, initial=None, source: str = "") -> Problem:
    """The Problem of a System (lowered from an SDE or energy model); see `solve`."""
    fields = coefficients(system)
    p = fields.vector(params)
    grid = _grid(fields, system.names, grid, boundary, p)
    p0 = initial_density(fields, grid, p) if initial is None else given_density(initial, grid)
    return Problem(system.name, system.kind, source, grid, fields, p, p0)


def solve(
    system: System,
    *,
    t_end: float | None = None,
    dt: float | None = None,
    save_every: int | None = None,
    grid: str | dict | None = None,
    boundary: str | dict | None = None,
    params: dict | None = None,
    initial: np.ndarray | None = None,
    stationary: bool = False,
    eigenvalues: int = 0,
    source: str = "",
) -> DensityResult:
    """Solve the Fokker–Planck equation of a System (an SDE or energy model
    lowered by actionc.lower; `source`, the model's text, goes into meta).

    grid: "x=-3:3:200,…" or {name: (low, high, cells)}, missing axes get a
    default; boundary: "x=periodic,…" or {name: boundary}; t_end and dt (default
    t_end/1000) the implicit Euler steps, saving every `save_every`-th (default:
    about 100 saves);
    initial: a density on the grid instead of the model's init. With
    `stationary` the null vector of the operator, with `eigenvalues` = K the
    K slowest decay rates (0 first) are computed too."""
    problem = discretize(system, grid=grid, boundary=boundary, params=params, initial=initial, source=source)
    grid, fields = problem.grid, problem.fields
    steps, dt, save_every = _steps(t_end, dt, save_every, stationary or eigenvalues > 0)
    # what cannot be met is refused before the time integration
    if stationary and (not grid.conserving or fields.time_dependent):
        raise RunError("a stationary density needs reflecting or periodic boundaries and a time-independent model")
    if eigenvalues and fields.time_dependent:
        raise RunError(
            f"'{problem.name}' is time-dependent: its operator has no fixed spectrum, so no decay rates",
            hint="drop --eigenvalues, or make the drift and noise independent of t",
        )
    _check_memory(steps // save_every + 1 if steps else 1, grid)
    L = problem.operator(0.0)
    start = problem.initial.ravel()
    t, saves = evolve.implicit_euler(problem.operator, start, dt, steps, save_every, fields.time_dependent)
    result = DensityResult(t, saves.reshape((len(t), *grid.shape)), grid, {})
    if fields.energy is not None:
        energy, temperature = problem.energy()
        result.free_energy = evolve.free_energy(saves, energy, temperature, grid.volume)
        if grid.conserving and problem.gibbs_exact:
            equilibrium = evolve.gibbs(energy, temperature, grid.volume)
            F_eq = evolve.free_energy(equilibrium, energy, temperature, grid.volume)  # −T log Z
            result.relative_entropy = (result.free_energy - F_eq) / temperature
    if stationary:
        result.stationary = evolve.stationary(L, grid.volume).reshape(grid.shape)
    if eigenvalues:
        result.rates = evolve.slowest_eigenvalues(L, eigenvalues)
    result.meta = {
        "command": "density",
        "model": problem.name,
        "kind": problem.kind,
        "state": list(grid.names),
        "scheme": _scheme(problem),
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


def _scheme(problem: Problem) -> str:
    if problem.gibbs_exact:
        return "gibbs"
    return "gibbs, general flux across the periodic walls" if problem.fields.gibbs_exact else "exponential-fitting"


def _steps(t_end, dt, save_every, analysis_only) -> tuple[int, float, int]:
    """The number of steps, the step and the saving interval."""
    if t_end is None:
        if not analysis_only:
            raise RunError("give t_end (--t-end), or ask for the stationary density or eigenvalues")
        return 0, 0.0, save_every or 1
    dt = dt or t_end / 1000
    steps = round(t_end / dt)
    if steps < 1 or abs(steps * dt - t_end) > 1e-9 * t_end:
        raise RunError(f"t_end {t_end:g} is not a whole number of steps of dt {dt:g}")
    if save_every is None:  # the first divisor of steps with at most SAVES saves after the start
        save_every = next(k for k in range(max(1, -(-steps // SAVES)), steps + 1) if steps % k == 0)
    if steps % save_every:
        raise RunError(f"{steps} steps is not a whole number of saves every {save_every}")
    return steps, dt, save_every


def _check_memory(saves: int, grid: Grid) -> None:
    """Refuse, before any work, saves that would not fit (the limit of `actionc run`)."""
    need = saves * grid.size * 8 / 2**30
    if need > MAX_MEMORY_GB:
        raise RunError(
            f"{saves} saves of {grid.size} cells would need {need:.1f} GiB of memory",
            hint=f"fewer saves: a larger --save-every (the limit is {MAX_MEMORY_GB} GiB)",
        )


def _grid(fields: Coefficients, names, grid, boundary, p) -> Grid:
    given = parse_axes(dict(grid) if isinstance(grid, Mapping) else grid, names)
    sides = parse_boundaries(dict(boundary) if isinstance(boundary, Mapping) else boundary, names)
    missing = [name for name in names if name not in given]
    if missing:
        default = _default_box(fields, names, p)
        cells = CELLS[len(names)]
        given.update({name: (*default[name], cells) for name in missing})
    result = Grid(
        tuple(
            Axis(name, *map(float, given[name][:2]), int(given[name][2]), sides.get(name, "reflecting"))
            for name in names
        )
    )
    if result.size > MAX_CELLS:
        raise RunError(
            f"a grid of {result.size} cells is too large to factorize (at most {MAX_CELLS})",
            hint="fewer cells per axis, or particles: actionc run",
        )
    return result


def _default_box(fields: Coefficients, names, p) -> dict[str, tuple[float, float]]:
    """Energy models: where E < min E + 20 T near the init (exp(−20) ≈ 2e-9);
    SDE models: the initial density's support widened by 5 on each side."""
    spread = initial_spread(fields, names, p)
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
