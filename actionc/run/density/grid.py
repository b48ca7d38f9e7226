"""A rectangular grid of cells, one axis per state variable, with a
boundary condition per axis.

    --grid x=-3:3:200,y=-2:2:100     LOW:HIGH:CELLS per axis
    --boundary x=periodic            reflecting (zero flux, the default),
                                     periodic, or absorbing (p = 0 on the wall)

Densities live at the cell centres as cell averages, stored in C order with
axis 0 slowest, so p.reshape(grid.shape) indexes p[i_x, i_y, …].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from actionc.errors import RunError

BOUNDARIES = ("reflecting", "periodic", "absorbing")


@dataclass(frozen=True)
class Axis:
    name: str
    low: float
    high: float
    cells: int
    boundary: str = "reflecting"

    @property
    def spacing(self) -> float:
        return (self.high - self.low) / self.cells

    @property
    def centres(self) -> np.ndarray:
        return self.low + (np.arange(self.cells) + 0.5) * self.spacing

    @property
    def edges(self) -> np.ndarray:
        return self.low + np.arange(self.cells + 1) * self.spacing


@dataclass(frozen=True)
class Grid:
    axes: tuple[Axis, ...]

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(a.cells for a in self.axes)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    @property
    def volume(self) -> float:
        """The volume of one cell: Σ p · volume is the total probability."""
        return float(np.prod([a.spacing for a in self.axes]))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.axes)

    @property
    def conserving(self) -> bool:
        """No probability leaves: every boundary reflects or wraps."""
        return all(a.boundary != "absorbing" for a in self.axes)

    def points(self) -> np.ndarray:
        """The cell centres, (*shape, dimensions)."""
        return np.stack(np.meshgrid(*(a.centres for a in self.axes), indexing="ij"), axis=-1)

    def describe(self) -> str:
        return ", ".join(f"{a.name} in [{a.low:g}, {a.high:g}] ({a.cells} cells, {a.boundary})" for a in self.axes)

    def to_meta(self) -> list[dict]:
        return [dict(name=a.name, low=a.low, high=a.high, cells=a.cells, boundary=a.boundary) for a in self.axes]


def parse_axes(given: str | dict | None, names: tuple[str, ...]) -> dict[str, tuple[float, float, int]]:
    """`x=-3:3:200,y=…` or {name: (low, high, cells)} → {name: (low, high, cells)},
    checked: names must be state variables, LOW < HIGH finite, at least 3 cells."""
    if isinstance(given, dict):
        items = [(name, value, f"{name}={':'.join(map(str, _tuple(value)))}") for name, value in given.items()]
    else:
        items = [(*_assignment(item, "--grid", "NAME=LOW:HIGH:CELLS"), item) for item in _items(given)]
    axes: dict[str, tuple[float, float, int]] = {}
    for name, value, item in items:
        _known(name, names, "--grid")
        parts = value.split(":") if isinstance(value, str) else _tuple(value)
        try:
            if len(parts) != 3 or isinstance(parts[2], float) and not float(parts[2]).is_integer():
                raise ValueError
            low, high, cells = float(parts[0]), float(parts[1]), int(parts[2])
        except (ValueError, TypeError):
            raise RunError(f"--grid: expected {name}=LOW:HIGH:CELLS, got '{item}'", hint="e.g. x=-3:3:200") from None
        if not (np.isfinite(low) and np.isfinite(high) and low < high):
            raise RunError(f"--grid: {name} needs finite LOW < HIGH, got '{item}'")
        if cells < 3:
            raise RunError(f"--grid: {name} needs at least 3 cells, got {cells}")
        axes[name] = (low, high, cells)
    return axes


def parse_boundaries(given: str | dict | None, names: tuple[str, ...]) -> dict[str, str]:
    """`x=periodic,y=absorbing` or {name: boundary} → {name: boundary}, checked;
    unnamed axes reflect."""
    if isinstance(given, dict):
        items = list(given.items())
    else:
        items = [_assignment(item, "--boundary", "NAME=" + "|".join(BOUNDARIES)) for item in _items(given)]
    boundaries = {}
    for name, value in items:
        _known(name, names, "--boundary")
        if value not in BOUNDARIES:
            raise RunError(
                f"--boundary: unknown boundary '{value}' for {name}", hint=f"one of: {', '.join(BOUNDARIES)}"
            )
        boundaries[name] = value
    return boundaries


def _items(text: str | None) -> list[str]:
    return [item.strip() for item in (text or "").split(",") if item.strip()]


def _tuple(value) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _assignment(item: str, flag: str, form: str) -> tuple[str, str]:
    name, equals, value = item.partition("=")
    if not equals:
        raise RunError(f"{flag}: expected {form}, got '{item}'")
    return name.strip(), value.strip()


def _known(name: str, names: tuple[str, ...], flag: str) -> None:
    if name not in names:
        raise RunError(f"{flag}: unknown state variable '{name}'", hint=f"the state is: {', '.join(names)}")
