"""Results as Zarr stores (`--out run.zarr`): the arrays of the npz — t,
x (saves, particles, state), names, invariants — and its meta as a JSON
attribute, with x chunked along particles, so that a run too large for one
memory is written range by range (by Dask workers, each its own chunks)
and read back lazily (`xarray.open_zarr`, or dask).

A store is written into `.NAME.PID.tmp` beside its target and moved into
place when its meta is written, last: a reader never sees half a run, and
an interrupted run never replaces a complete one (see cli/runs.py).
Needs the `zarr` package (`pip install "actionc[dask]"`); numpy output does not.
"""

from __future__ import annotations

import json
import os
import shutil
import warnings
from pathlib import Path

import numpy as np

from actionc.errors import OutputError, ResultFileError

CHUNK_BYTES = 64 * 2**20  # of one chunk of x: large enough to write fast, small enough for any worker
DIMENSIONS = ("time", "particle", "state")


def is_store(path: str | Path) -> bool:
    return str(path).rstrip("/").endswith(".zarr")


def _zarr():
    try:
        import zarr
    except ImportError:
        raise OutputError("a .zarr output needs the zarr package", hint='pip install "actionc[dask]"') from None
    return zarr


def check_output(path: str | Path) -> Path:
    """The store an output to `path` will replace, after refusing what must
    not be replaced (before a run, so that no work is lost): anything there
    that is not a Zarr store, a folder that does not exist or is not writable."""
    _zarr()
    target = Path(os.path.realpath(path))
    if target.exists() and not (target.is_dir() and (target / "zarr.json").is_file()):
        raise OutputError(f"{path} exists and is not a Zarr store: refusing to replace it", hint="give another path")
    folder = target.parent
    if not folder.is_dir():
        raise OutputError(f"cannot write {path}: the folder {folder} does not exist", hint=f"mkdir -p {folder}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write {path}: the folder {folder} is not writable")
    return target


def begin(
    path: str | Path,
    *,
    t: np.ndarray,
    particles: int,
    names: list[str],
    invariant_names: list[str],
    chunk_particles: int,
) -> Path:
    """Create the store's arrays in a temporary folder beside `path` (which
    `finish` moves into place) and return that folder. x is chunked by
    `chunk_particles` along particles, so that writers of different ranges
    of that size never share a chunk; and along time to CHUNK_BYTES."""
    zarr = _zarr()
    target = check_output(path)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    shutil.rmtree(temporary, ignore_errors=True)
    try:
        group = zarr.open_group(str(temporary), mode="w")
        group.create_array("t", data=np.asarray(t, dtype=float), dimension_names=("time",))
        _strings(group, "names", names, "state")
        columns = {"x": len(names)}
        if invariant_names:
            _strings(group, "invariant_names", invariant_names, "invariant")
            columns["invariants"] = len(invariant_names)
        for name, width in columns.items():
            rows = max(1, min(len(t), CHUNK_BYTES // (8 * chunk_particles * width)))
            group.create_array(
                name,
                shape=(len(t), particles, width),
                chunks=(rows, chunk_particles, width),
                dtype="f8",
                fill_value=np.nan,
                dimension_names=DIMENSIONS if name == "x" else ("time", "particle", "invariant"),
            )
    except OSError as error:
        shutil.rmtree(temporary, ignore_errors=True)
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from None
    return temporary


def _strings(group, name: str, values: list[str], dimension: str) -> None:
    """Names as variable-length UTF-8, a type the Zarr v3 specification has."""
    group.create_array(name, shape=(len(values),), dtype=str, dimension_names=(dimension,))
    group[name][:] = np.array(values, dtype=str)


def write_range(store: str | Path, first: int, x: np.ndarray, invariants: np.ndarray | None) -> None:
    """Write the saves of particles first, first + 1, … (a worker's range)."""
    group = _zarr().open_group(str(store), mode="r+")
    group["x"][:, first : first + x.shape[1]] = x
    if invariants is not None:
        group["invariants"][:, first : first + x.shape[1]] = invariants


def finish(store: str | Path, target: str | Path, meta: dict, particles: int) -> None:
    """Keep the first `particles` (an interrupted distributed run keeps the
    ranges that finished), write the meta, and move the store to `target`."""
    zarr = _zarr()
    group = zarr.open_group(str(store), mode="r+")
    for name in ("x", "invariants"):
        if name in group and group[name].shape[1] != particles:
            group[name].resize((group[name].shape[0], particles, group[name].shape[2]))
    group.attrs["meta"] = json.dumps(meta, allow_nan=False)
    with warnings.catch_warnings():  # that consolidated metadata is not in the v3 specification (yet)
        warnings.simplefilter("ignore")
        zarr.consolidate_metadata(str(store))  # xarray.open_zarr reads one file, not one per array
    target = Path(target)
    try:
        if target.exists():  # a store (check_output): replaced by the complete new one
            old = target.with_name(f".{target.name}.{os.getpid()}.old")
            os.replace(target, old)
            os.replace(store, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(store, target)
    except OSError as error:
        raise OutputError(f"cannot write {target}: {error.strerror or error}") from None


def discard(store: str | Path) -> None:
    shutil.rmtree(store, ignore_errors=True)


def save(result, path: str | Path) -> None:
    """Write a Result held in memory as a store (a local run's --out run.zarr)."""
    particles = result.x.shape[1]
    chunk = max(1, min(particles, CHUNK_BYTES // (8 * max(1, result.x.shape[2]))))
    names = result.invariant_names if result.invariants is not None else []
    store = begin(
        path, t=result.t, particles=particles, names=result.names, invariant_names=names, chunk_particles=chunk
    )
    try:
        write_range(store, 0, result.x, result.invariants)
        finish(store, path, result.meta, particles)
    except BaseException:
        discard(store)
        raise


def arrays(path: str | Path) -> dict:
    """The arrays of a store, read into memory as Result.load checks them."""
    try:
        import zarr
    except ImportError:
        raise OSError('reading a Zarr store needs the zarr package: pip install "actionc[dask]"') from None
    try:
        group = zarr.open_group(str(path), mode="r")
        if "meta" not in group.attrs:
            raise ResultFileError("a Zarr store without meta (a run that did not finish writing it)")
        found = {
            name: group[name][...] for name in ("t", "x", "names", "invariants", "invariant_names") if name in group
        }
        found["meta"] = np.array(group.attrs["meta"], dtype=np.str_)
    except ResultFileError:
        raise
    except Exception as error:  # whatever zarr finds wrong with it: a damaged store
        raise ResultFileError(f"not a readable Zarr store ({error})") from None
    for name in ("names", "invariant_names"):
        if name in found and found[name].dtype.kind == "T" and found[name].ndim == 1:  # variable-length strings
            found[name] = np.array(found[name].tolist(), dtype=np.str_)
    return found
