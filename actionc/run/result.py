"""Result: the saved states of an ensemble run, with what produced them.

t      (saves,)                    times of the saves, t = 0 first
x      (saves, particles, state)   the states; never NaN (a diverged
                                   particle is frozen at its last finite state)
names  state variable names        velocities as q_dot, momenta by name
meta   dict                        model, method, dt, seed, params,
                                   diverged, complete, versions, …
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass
class Result:
    t: np.ndarray
    x: np.ndarray
    names: list[str]
    meta: dict
    invariant_names: list[str] = field(default_factory=list)
    invariants: np.ndarray | None = None  # (saves, particles, invariants), when computed

    @property
    def diverged(self) -> int:
        return int(self.meta["diverged"])

    def __getitem__(self, name: str) -> np.ndarray:
        """The saved values of one state variable: (saves, particles)."""
        return self.x[:, :, self.names.index(name)]

    def save(self, path: str | Path) -> None:
        """Write an .npz (t, x, names, meta as strict JSON), atomically:
        loadable with allow_pickle=False."""
        path = Path(path)
        arrays = {
            "t": self.t,
            "x": self.x,
            "names": np.array(self.names, dtype=np.str_),
            "meta": np.array(json.dumps(self.meta, allow_nan=False), dtype=np.str_),
        }
        if self.invariants is not None:
            arrays["invariants"] = self.invariants
            arrays["invariant_names"] = np.array(self.invariant_names, dtype=np.str_)
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
    def load(cls, path: str | Path) -> Result:
        with np.load(path, allow_pickle=False) as data:
            invariants = data["invariants"] if "invariants" in data else None
            names = [str(n) for n in data["invariant_names"]] if "invariant_names" in data else []
            return cls(
                t=data["t"],
                x=data["x"],
                names=[str(n) for n in data["names"]],
                meta=json.loads(str(data["meta"])),
                invariant_names=names,
                invariants=invariants,
            )

    def to_xarray(self):
        """An xarray.Dataset with dimensions (time, particle), one variable
        per state name (needs xarray installed)."""
        try:
            import xarray
        except ImportError as error:
            raise ImportError("to_xarray needs xarray: pip install xarray") from error
        data = {name: (("time", "particle"), self.x[:, :, k]) for k, name in enumerate(self.names)}
        return xarray.Dataset(data, coords={"time": self.t}, attrs={"meta": json.dumps(self.meta)})

    def summary(self) -> str:
        """Final mean and standard deviation of each state variable, and the
        drift of each invariant."""
        final = self.x[-1]
        lines = [
            f"{self.meta['model']}: {self.meta['method']}, {self.meta['particles']} particle(s), "
            f"{self.meta['steps']} steps of dt = {self.meta['dt']:g} (t = {self.t[-1]:g})"
            + ("" if self.meta["complete"] else "  [incomplete: interrupted]"),
        ]
        width = max(len(n) for n in self.names)
        lines.append(f"  {'':<{width}}  {'mean':>14}  {'std':>14}")
        for k, name in enumerate(self.names):
            lines.append(f"  {name:<{width}}  {final[:, k].mean():>14.6g}  {final[:, k].std():>14.6g}")
        if self.invariants is not None and self.invariant_names:
            lines.append("  invariant drift, max over particles of |I(t) − I(0)| (relative to |I(0)|):")
            start = self.invariants[0]
            change = np.abs(self.invariants - start).max(axis=(0, 1))
            scale = np.maximum(np.abs(start).max(axis=0), 1e-300)
            for k, name in enumerate(self.invariant_names):
                lines.append(f"  {name:<{width}}  {change[k]:>14.3g}  ({change[k] / scale[k]:.3g} relative)")
        stats = self.meta.get("stats") or {}
        if "acceptance_rate" in stats:
            lines.append(f"  acceptance rate {stats['acceptance_rate']:.3f}")
        if self.diverged:
            lines.append(f"  {self.diverged} particle(s) diverged (frozen at their last finite state)")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """A short table for notebooks: what ran, and the final mean and spread."""
        meta = self.meta
        rows = "".join(
            f"<tr><td>{name}</td><td>{self.x[-1, :, k].mean():.6g}</td><td>{self.x[-1, :, k].std():.6g}</td></tr>"
            for k, name in enumerate(self.names)
        )
        status = "" if meta.get("complete", True) else " <b>(interrupted)</b>"
        diverged = f", {self.diverged} diverged" if self.diverged else ""
        return (
            f"<p><b>{meta['model']}</b>: {meta['method']}, {meta['particles']} particle(s), {meta['steps']} steps "
            f"of dt = {meta['dt']:g}, t = {self.t[-1]:g}{diverged}{status}</p>"
            f"<table><tr><th>state</th><th>final mean</th><th>final std</th></tr>{rows}</table>"
        )
