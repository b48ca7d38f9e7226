"""Data arrays of indexed models (`input X[n, d], y[n] from "file"`), read
at run time from .npy, .npz or .csv files, checked against their
declarations, and laid out flat for the kernel (shared read-only by every
particle). Their shapes set the size parameters they declare.

CSV files: the first row names the columns; a vector input is the column of
its name, a matrix input every other column, in order. Nothing in a file is
executed: NumPy loads with allow_pickle=False.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import numpy as np

from actionc.errors import RunError

MAX_BYTES = 2 * 2**30  # larger data sets are refused with a hint, not read into memory


def load(declared, base: Path | None, given: Mapping[str, object] | None = None) -> tuple[np.ndarray, dict]:
    """(the flat data array, {size name: value}) of the declared inputs
    (meta.inputs: [name, [size names], default path]); `given` maps an
    input's name to an array or a path (overriding the model's path)."""
    given = dict(given or {})
    unknown = set(given) - {name for name, _, _ in declared}
    if unknown:
        names = ", ".join(name for name, _, _ in declared) or "none"
        raise RunError(f"unknown input '{sorted(unknown)[0]}'", hint=f"the model's inputs are: {names}")
    arrays: dict[str, np.ndarray] = {}
    files: dict[Path, list] = {}
    for name, sizes, path in declared:
        value = given.get(name, path)
        if value is None:
            raise RunError(
                f"no data for the input '{name}'",
                hint=f"give it with --input {name}=FILE (or 'from \"FILE\"' in the model)",
            )
        if isinstance(value, (str, Path)):
            where = Path(value)
            if not where.is_absolute() and base is not None and name not in given:
                where = base / where
            files.setdefault(where, []).append((name, sizes))
        else:
            arrays[name] = np.asarray(value, dtype=float)
    for path, items in files.items():
        arrays.update(_read(path, items))
    sizes: dict[str, int] = {}
    flat = []
    for name, size_names, _ in declared:
        array = arrays[name]
        if array.ndim != len(size_names):
            raise RunError(
                f"input '{name}' is declared {name}[{', '.join(size_names)}] ({len(size_names)} dimension(s)), "
                f"but its data has shape {array.shape}"
            )
        for size, extent in zip(size_names, array.shape):
            if size in sizes and sizes[size] != extent:
                raise RunError(
                    f"input '{name}' has {size} = {extent}, but another input has {size} = {sizes[size]}",
                    hint="inputs that share a size must agree on it",
                )
            sizes[size] = extent
        bad = np.argwhere(~np.isfinite(array))
        if bad.size:
            at = ", ".join(str(int(k) + 1) for k in bad[0])
            raise RunError(f"input '{name}' has a value that is not finite at [{at}] (counting from 1)")
        if 0 in array.shape:
            raise RunError(f"input '{name}' is empty (shape {array.shape})")
        flat.append(np.ascontiguousarray(array, dtype=float).ravel())
    data = np.concatenate(flat) if flat else np.zeros(1)
    return data, sizes


def _read(path: Path, items) -> dict[str, np.ndarray]:
    if not path.is_file():
        raise RunError(
            f"cannot read data file {path}: no such file",
            hint="a path in the model is relative to the model's folder, one given with --input to the current folder",
        )
    if path.stat().st_size > MAX_BYTES:
        raise RunError(f"data file {path} is larger than {MAX_BYTES // 2**30} GiB", hint="use a smaller data set")
    suffix = path.suffix.lower()
    names = [name for name, _ in items]
    try:
        if suffix == ".npy":
            if len(items) != 1:
                raise RunError(f"{path} holds one array, but {len(items)} inputs read it", hint="use an .npz file")
            return {names[0]: np.load(path, allow_pickle=False).astype(float)}
        if suffix == ".npz":
            with np.load(path, allow_pickle=False) as archive:
                missing = [n for n in names if n not in archive.files]
                if missing:
                    raise RunError(
                        f"no array '{missing[0]}' in {path}", hint=f"it has: {', '.join(archive.files) or 'nothing'}"
                    )
                return {n: archive[n].astype(float) for n in names}
        if suffix == ".csv":
            return _read_csv(path, items)
    except (ValueError, OSError) as error:
        raise RunError(f"cannot read data file {path}: {error}") from None
    raise RunError(f"cannot read data file {path}: unknown format '{suffix}'", hint="use .npy, .npz or .csv")


def _read_csv(path: Path, items) -> dict[str, np.ndarray]:
    with path.open(encoding="utf-8") as handle:
        header = [h.strip() for h in handle.readline().split(",")]
    table = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    if table.shape[1] != len(header):
        raise RunError(f"{path}: {len(header)} column names but {table.shape[1]} columns")
    out, used = {}, set()
    for name, sizes in items:
        if len(sizes) == 1 and name in header:
            out[name] = table[:, header.index(name)]
            used.add(header.index(name))
    matrices = [(name, sizes) for name, sizes in items if name not in out]
    if len(matrices) > 1 or (matrices and len(matrices[0][1]) != 2):
        names = ", ".join(name for name, _ in matrices)
        raise RunError(
            f"{path}: no column for {names}",
            hint="a CSV file gives vectors by column name and at most one matrix (all other columns)",
        )
    if matrices:
        rest = [k for k in range(len(header)) if k not in used]
        out[matrices[0][0]] = table[:, rest]
    return out
