"""Result: the saved states of an ensemble run, with what produced them.

t      (saves,)                    times of the saves, t0 (meta, default 0) first
x      (saves, particles, state)   the states; never NaN (a diverged
                                   particle is frozen at its last finite state)
names  state variable names        velocities as q_dot, momenta by name
meta   dict                        model, method, dt, seed, params,
                                   diverged, complete, versions, …
"""

from __future__ import annotations

import glob
import json
import os
import stat
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from actionc.errors import OutputError, ResultFileError


@dataclass
class Result:
    t: np.ndarray
    x: np.ndarray
    names: list[str]
    meta: dict
    invariant_names: list[str] = field(default_factory=list)
    invariants: np.ndarray | None = None  # (saves, particles, invariants), when computed
    failed: np.ndarray | None = None  # (particles,) bool: diverged or failed, from the run (not saved)
    events: dict[str, np.ndarray] = field(default_factory=dict)  # first passages or crossings (actionc.run.events)
    counters: np.ndarray | None = None  # (particles, stats): the integrator's counters, from the run (not saved)

    @property
    def diverged(self) -> int:
        return int(self.meta["diverged"])

    def __getitem__(self, name: str) -> np.ndarray:
        """The saved values of one state variable: (saves, particles)."""
        return self.x[:, :, self.names.index(name)]

    def save(self, path: str | Path) -> None:
        """Write an .npz (t, x, names, meta as strict JSON), loadable with
        allow_pickle=False, by the rules of `write_atomically`; or, to a
        path ending in .zarr, a Zarr store of the same (run/store.py)."""
        from actionc.run import store

        if store.is_store(path):
            store.save(self, path)
            return
        arrays = {
            "t": self.t,
            "x": self.x,
            "names": np.array(self.names, dtype=np.str_),
            "meta": np.array(json.dumps(self.meta, allow_nan=False), dtype=np.str_),
        }
        if self.invariants is not None:
            arrays["invariants"] = self.invariants
            arrays["invariant_names"] = np.array(self.invariant_names, dtype=np.str_)
        arrays.update(self.events)
        write_atomically(path, lambda handle: np.savez(handle, **arrays))

    @classmethod
    def load(cls, path: str | Path) -> Result:
        """Read a result written by `save`, checking what it holds (a
        crafted or damaged file is a ResultFileError saying what is wrong).
        A Zarr store is read whole into memory: open it with
        xarray.open_zarr to read it lazily."""
        from actionc.run import store

        if store.is_store(path) or Path(path).is_dir():
            arrays = store.arrays(path)
            missing = [key for key in ("t", "x", "names") if key not in arrays]
            if missing:
                raise ResultFileError(f"no '{missing[0]}' array")
            return _checked(arrays)
        try:
            data = np.load(path, allow_pickle=False)
            if not isinstance(data, np.lib.npyio.NpzFile):
                raise ResultFileError("a single array, not an .npz archive")
            with data:
                missing = [key for key in ("t", "x", "names", "meta") if key not in data]
                if missing:
                    raise ResultFileError(f"no '{missing[0]}' array")
                arrays = {key: data[key] for key in data.files if key in _ARRAYS}
        except ResultFileError:
            raise
        except (ValueError, EOFError, MemoryError, zipfile.BadZipFile, zlib.error) as error:
            raise ResultFileError(f"not an .npz archive of plain arrays ({error or type(error).__name__})") from None
        return _checked(arrays)

    def to_xarray(self):
        """An xarray.Dataset with dimensions (time, particle), one variable
        per state name, and coordinates: time, particle (0, 1, …) and each
        swept parameter's value per particle (needs xarray installed)."""
        try:
            import xarray
        except ImportError as error:
            raise ImportError("to_xarray needs xarray: pip install xarray") from error
        data = {name: (("time", "particle"), self.x[:, :, k]) for k, name in enumerate(self.names)}
        coords = {"time": self.t, "particle": np.arange(self.x.shape[1])}
        swept = {k: ("particle", np.asarray(v, float)) for k, v in self.meta["params"].items() if isinstance(v, list)}
        return xarray.Dataset(data, coords={**coords, **swept}, attrs={"meta": json.dumps(self.meta)})

    def to_arviz(self):
        """A sampling run (mala, hmc, nuts, tempering) in the layout of
        ArviZ 1.x: an xarray.DataTree whose `posterior` group holds each
        state variable as (chain, draw) — particles are chains, the saves
        after t = 0 are draws — and whose `sample_stats` group holds the
        sampler's counters per chain (acceptance rate, divergences, gradients
        per draw, NUTS's mean tree depth: the kernel keeps them per chain,
        not per draw). Needs xarray ≥ 2024.10 (pip install "actionc[arviz]")."""
        try:
            import xarray
        except ImportError as error:
            raise ImportError('to_arviz needs xarray: pip install "actionc[arviz]"') from error
        stats = self.meta.get("stats_per_chain") or {}
        if "proposed" not in stats:
            raise ValueError("to_arviz needs the result of a sampler (--method mala, hmc, nuts or tempering)")
        draws = self.x[1:]
        coords = {"chain": np.arange(draws.shape[1]), "draw": np.arange(draws.shape[0])}
        posterior = xarray.Dataset(
            {name: (("chain", "draw"), draws[:, :, k].T) for k, name in enumerate(self.names)}, coords=coords
        )
        proposed = np.maximum(np.asarray(stats["proposed"]), 1.0)
        per_chain = {"acceptance_rate": np.asarray(stats["accepted"]) / proposed}
        if "divergences" in stats:
            per_chain["divergences"] = np.asarray(stats["divergences"], dtype=int)
        if "gradients" in stats:
            per_chain["gradients_per_draw"] = np.asarray(stats["gradients"]) / proposed
        if "tree_depth" in stats:
            per_chain["tree_depth"] = np.asarray(stats["tree_depth"]) / proposed
        sample_stats = xarray.Dataset(
            {name: (("chain",), values) for name, values in per_chain.items()}, coords={"chain": coords["chain"]}
        )
        version = (self.meta.get("versions") or {}).get("actionc", "")
        attrs = {"inference_library": "actionc", "inference_library_version": version}
        attrs |= {"model": self.meta["model"], "method": self.meta["method"]}
        tree = xarray.DataTree.from_dict({"posterior": posterior, "sample_stats": sample_stats})
        for group in ("posterior", "sample_stats"):
            tree[group].attrs.update(attrs)
        return tree

    def summary(self) -> str:
        """Final mean and standard deviation of each state variable, and the
        drift of each invariant, over the particles that did not diverge
        (their frozen states can be huge: they would make the spread inf);
        for a sweep (parameters with one value per particle, few distinct),
        the means and spreads of each value (actionc.run.summary)."""
        from actionc.run.summary import Summary

        return Summary.of(self).text()

    def diverged_particles(self) -> np.ndarray:
        """Which particles diverged or failed, (particles,) bool: from the
        run, or for a loaded result from meta's failures (at most 100)."""
        if self.failed is not None:
            return self.failed
        mask = np.zeros(self.x.shape[1], dtype=bool)
        mask[[f["particle"] for f in self.meta.get("failures", [])]] = True
        return mask

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


# ---- reading results back -----------------------------------------------------

_EVENTS = ("t_hit", "x_hit", "section_t", "section_x", "section_particle")
_ARRAYS = ("t", "x", "names", "meta", "invariants", "invariant_names", *_EVENTS)


def _checked(arrays: dict) -> Result:
    """A Result of the arrays of a result file, or a ResultFileError naming
    the first thing that is not as `Result.save` writes it."""
    t, x, names, text = arrays["t"], arrays["x"], arrays["names"], arrays["meta"]
    if t.ndim != 1 or t.dtype.kind not in "fiu" or t.size == 0 or not np.all(np.diff(t) > 0):
        raise ResultFileError("'t' is not an increasing 1-D array of times")
    if x.ndim != 3 or x.dtype.kind not in "fiu" or x.shape[0] != t.size or 0 in x.shape:
        raise ResultFileError(f"'x' is not an array (saves = {t.size}) × particles × state, but {x.shape}")
    if not np.isfinite(x).all() or not np.isfinite(t).all():
        raise ResultFileError("'x' or 't' holds values that are not finite")
    if names.ndim != 1 or names.dtype.kind != "U" or len(names) != x.shape[2] or not all(n.strip() for n in names):
        raise ResultFileError(f"'names' is not {x.shape[2]} state variable name(s)")
    if text.ndim != 0 or text.dtype.kind != "U":
        raise ResultFileError("'meta' is not a JSON text")
    try:
        meta = json.loads(str(text))
    except (ValueError, RecursionError) as error:
        raise ResultFileError(f"'meta' is not JSON ({error})") from None
    _check_meta(meta, x.shape[1])
    invariants, invariant_names = arrays.get("invariants"), arrays.get("invariant_names")
    if (invariants is None) != (invariant_names is None):
        raise ResultFileError("'invariants' and 'invariant_names' come together")
    if invariants is not None:
        if invariant_names.ndim != 1 or invariant_names.dtype.kind != "U":
            raise ResultFileError("'invariant_names' is not a list of names")
        if invariants.dtype.kind != "f" or invariants.shape != x.shape[:2] + (len(invariant_names),):
            raise ResultFileError(f"'invariants' is not saves × particles × {len(invariant_names)} numbers")
    return Result(
        t=t.astype(float),
        x=x.astype(float),
        names=[str(n) for n in names],
        meta=meta,
        invariant_names=[str(n) for n in invariant_names] if invariant_names is not None else [],
        invariants=invariants,
        events=_checked_events(arrays, x.shape),
    )


def _checked_events(arrays: dict, shape: tuple) -> dict[str, np.ndarray]:
    """The event arrays of a result file, with the shapes a run writes."""
    found = {key: arrays[key] for key in _EVENTS if key in arrays}
    particles, n = shape[1], shape[2]
    expected = {
        "t_hit": (particles,),
        "x_hit": (particles, n),
        "section_t": (len(found.get("section_t", ())),),
        "section_x": (len(found.get("section_t", ())), n),
        "section_particle": (len(found.get("section_t", ())),),
    }
    for key, value in found.items():
        if value.dtype.kind not in "fiu" or value.shape != expected[key]:
            raise ResultFileError(f"'{key}' is not {expected[key]} numbers")
    if "section_particle" in found and not np.all(
        (found["section_particle"] >= 0) & (found["section_particle"] < particles)
    ):
        raise ResultFileError("'section_particle' names particles the result does not hold")
    return found


def _check_meta(meta, particles: int) -> None:
    if not isinstance(meta, dict):
        raise ResultFileError("'meta' is not a JSON object")
    expected = {"model": str, "kind": str, "method": str, "particles": int, "steps": int, "dt": (int, float)}
    expected |= {"params": dict, "diverged": int, "failures": list, "complete": bool}
    for key, kind in expected.items():
        if key not in meta:
            raise ResultFileError(f"no '{key}' in its meta")
        if not isinstance(meta[key], kind) or (kind is int and isinstance(meta[key], bool)):
            raise ResultFileError(f"'{key}' in its meta is {type(meta[key]).__name__}")
    if not meta["model"].strip():
        raise ResultFileError("'model' in its meta is empty")
    if meta["particles"] != particles:
        raise ResultFileError(f"its meta says {meta['particles']} particle(s), 'x' holds {particles}")
    for name, value in meta["params"].items():
        values = value if isinstance(value, list) else [value]
        numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
        if not numbers or (isinstance(value, list) and len(value) != particles):
            raise ResultFileError(f"parameter '{name}' in its meta is not a number or one number per particle")
    for failure in meta["failures"]:
        if not isinstance(failure, dict) or not isinstance(failure.get("particle"), int):
            raise ResultFileError("its meta's failures are not a list of {particle, step, time, reason}")
        if not 0 <= failure["particle"] < particles:
            raise ResultFileError(f"its meta lists a failure of particle {failure['particle']}, of {particles}")
    if not isinstance(meta.get("stats", {}), dict) or not isinstance(meta.get("source", ""), str):
        raise ResultFileError("'stats' or 'source' in its meta is not what a run writes")
    per_chain = meta.get("stats_per_chain", {})
    if not isinstance(per_chain, dict) or not all(
        isinstance(values, list)
        and len(values) == particles
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
        for values in per_chain.values()
    ):
        raise ResultFileError(f"'stats_per_chain' in its meta is not lists of {particles} number(s)")


# ---- outputs ---------------------------------------------------------------


def check_output(path: str | Path) -> Path:
    """The file an output to `path` will replace, after refusing what must
    not be written (called before a run, so no work is lost): a directory,
    anything that is not a regular file (a device such as /dev/null, a
    FIFO, a socket), a folder that does not exist or is not writable. A
    symlink is followed: the file it points to is replaced, the link stays."""
    target = Path(os.path.realpath(path))
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror}") from None
    if mode is not None and stat.S_ISDIR(mode):
        raise OutputError(f"{path} is a directory", hint=f"name a file in it, e.g. {Path(path) / 'run.npz'}")
    if mode is not None and not stat.S_ISREG(mode):
        raise OutputError(
            f"{path} is not a regular file (a device, FIFO or socket): refusing to replace it",
            hint="give the path of a regular file",
        )
    folder = target.parent
    if not folder.is_dir():
        raise OutputError(f"cannot write {path}: the folder {folder} does not exist", hint=f"mkdir -p {folder}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {path}: the folder {folder} is not writable")
    return target


def write_atomically(path: str | Path, write: Callable) -> None:
    """Write a file at `path` with write(binary handle): a reader sees the
    old file or the new one, never half of one. The new file keeps the
    mode of the file it replaces. The temporary, `.NAME.PID.tmp` beside the
    target, is removed on any error; one left by a killed process is
    removed by the next write of the same output."""
    target = check_output(path)
    _remove_stale_temporaries(target)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode) if target.exists() else None
        temporary.unlink(missing_ok=True)  # a leftover of a process that had our pid
        with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, target)
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from None
    finally:
        if temporary.exists():
            temporary.unlink()


def _remove_stale_temporaries(target: Path) -> None:
    for leftover in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
        pid = leftover.name[len(target.name) + 2 : -len(".tmp")]
        if pid.isdigit() and not _alive(int(pid)):
            leftover.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, as another user's
        pass
    return True


def partial_output(path: str | Path) -> Path:
    """Where an interrupted run writes when `path` already holds a result:
    NAME.partial.npz (or NAME.partial.zarr) beside it, so a complete result
    is never replaced by an incomplete one."""
    path = Path(str(path).rstrip("/"))
    suffix = ".zarr" if path.name.endswith(".zarr") else ".npz"
    stem = path.name[: -len(suffix)] if path.name.endswith(suffix) else path.name
    return path.with_name(f"{stem}.partial{suffix}")
