"""DensityResult: the densities of `actionc density` at its saves, with the
grid and what produced them; saved as an .npz in the conventions of a run."""

from __future__ import annotations

import json
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from actionc.errors import ResultFileError
from actionc.run.density.grid import Axis, Grid
from actionc.run.result import write_atomically

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

    def marginal(self, name: str, save: int = -1, density: np.ndarray | None = None) -> np.ndarray:
        """The density of one state variable (the others integrated out) at a
        save, or of `density` on the grid (e.g. the stationary one)."""
        k = self.names.index(name)
        density = self.p[save] if density is None else density
        others = tuple(j for j in range(len(self.names)) if j != k)
        width = np.prod([self.grid.axes[j].spacing for j in others])
        return density.sum(axis=others) * width

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
        write_atomically(path, lambda handle: np.savez(handle, **arrays))  # the output rules of every command

    @classmethod
    def load(cls, path: str | Path) -> DensityResult:
        """Read a result written by `save`; a damaged or crafted file is a ResultFileError."""
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(str(data["meta"]))
                if not isinstance(meta, dict) or meta.get("command") != "density":
                    raise ResultFileError("not a result of actionc density")
                grid = Grid(tuple(Axis(**axis) for axis in meta["grid"]))
                extra = {k: data[k] for k in ("free_energy", "relative_entropy", "stationary", "rates") if k in data}
                t, p = np.asarray(data["t"], float), np.asarray(data["p"], float)
        except ResultFileError:
            raise
        except (KeyError, TypeError, ValueError, RecursionError, EOFError, zipfile.BadZipFile, zlib.error) as error:
            raise ResultFileError(f"not a result of actionc density ({error or type(error).__name__})") from None
        if t.ndim != 1 or p.shape != (len(t), *grid.shape):
            raise ResultFileError(f"p has shape {p.shape}, not (saves, {', '.join(map(str, grid.shape))})")
        return cls(t=t, p=p, grid=grid, meta=meta, **extra)

    def to_xarray(self):
        """An xarray.Dataset: p over (time, one dimension per state variable),
        the cell centres as coordinates (needs xarray installed)."""
        try:
            import xarray
        except ImportError as error:
            raise ImportError("to_xarray needs xarray: pip install xarray") from error
        coords = {"time": self.t, **{axis.name: axis.centres for axis in self.grid.axes}}
        data = {"p": (("time", *self.names), self.p)}
        if self.free_energy is not None:
            data["free_energy"] = (("time",), self.free_energy)
        return xarray.Dataset(data, coords=coords, attrs={"meta": json.dumps(self.meta)})

    def summary(self) -> str:
        meta = self.meta
        lines = [f"{meta['model']}: Fokker–Planck on {self.grid.describe()}, {meta['scheme']} scheme"]
        if meta["steps"]:
            mass = self.mass()
            lines.append(
                f"  implicit Euler, {meta['steps']} steps of dt = {meta['dt']:g} (t = {self.t[-1]:g}, "
                f"{len(self.t)} saves); mass {mass[-1]:.15g} (change {mass[-1] - mass[0]:.3g}), "
                f"min p {self.p.min():.3g}"
            )
            lines += self._moments(f"at t = {self.t[-1]:g}", self.p[-1])
        if self.free_energy is not None and meta["steps"]:
            rise = np.diff(self.free_energy).max()
            lines.append(
                f"  free energy F[p] {self.free_energy[0]:.6g} -> {self.free_energy[-1]:.6g} "
                f"({'decreasing at every save' if rise <= 0 else f'NOT monotone: rises by {rise:.3g}'})"
            )
        if self.stationary is not None:
            lines.append(f"  stationary density: max {self.stationary.max():.6g}, min {self.stationary.min():.3g}")
            lines += self._moments("stationary", self.stationary)
        if self.rates is not None:
            lines.append(f"  slowest rates −λ: {', '.join(f'{r:.6g}' for r in self.rates)}")
        return "\n".join(lines)

    def _moments(self, label: str, density: np.ndarray) -> list[str]:
        lines = []
        for name in self.names:
            marginal, x = self.marginal(name, density=density), self.centres(name)
            weights = marginal / marginal.sum()
            mean = (weights * x).sum()
            std = np.sqrt((weights * (x - mean) ** 2).sum())
            lines.append(f"  {name} {label}: mean {mean:.6g}, std {std:.6g}")
        return lines


def _centres_key(name: str) -> str:
    return f"grid_{name}" if name in RESERVED else name
