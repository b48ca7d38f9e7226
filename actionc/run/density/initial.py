"""The initial density on the grid: the model's init as cell averages, or a
density given on the grid; and where the init lives (for a default grid)."""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from actionc.errors import RunError
from actionc.run.density.fields import Coefficients
from actionc.run.density.grid import Axis, Grid


def initial_density(fields: Coefficients, grid: Grid, p) -> np.ndarray:
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


def given_density(initial, grid: Grid) -> np.ndarray:
    try:
        density = np.asarray(initial, dtype=float)
    except (TypeError, ValueError):
        raise RunError("the initial density must be an array of numbers on the grid") from None
    if density.shape != grid.shape:
        raise RunError(f"the initial density has shape {density.shape}, the grid {grid.shape}")
    if not np.all(np.isfinite(density)) or density.min() < 0 or density.sum() <= 0:
        raise RunError("the initial density must be finite, non-negative and not all zero")
    return density / (density.sum() * grid.volume)


def initial_spread(fields: Coefficients, names, p) -> dict[str, list[tuple[float, float]]]:
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
