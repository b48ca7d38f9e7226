"""The kernel cache: content-addressed files, and an index from a model's
text to its kernel, so that a warm run reads no SymPy at all.

Layout under the cache folder (ACTIONC_CACHE_DIR, else the user cache dir):

    kernels/k_<sha256 of the source>.py    one self-contained module each
    kernels/__pycache__/                   Numba's compiled code (cache=True)
    index/<sha256 of model text + options + versions>.json -> kernel name

A kernel file whose content no longer matches its name is rebuilt, never
trusted. This module must not import SymPy (tested).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

CACHE_ENV = "ACTIONC_CACHE_DIR"


def cache_dir() -> Path:
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured).expanduser()
    if sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    elif os.name == "nt":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    folder = base / "actionc"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if os.access(folder, os.W_OK):
            return folder
    except OSError:
        pass
    # a read-only home (a container, a cluster node): cache per user in the temp dir
    return Path(tempfile.gettempdir()) / f"actionc-cache-{os.getuid() if hasattr(os, 'getuid') else 'user'}"


def digest(*parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(text)
    os.replace(temporary, path)


def kernel_name(source: str) -> str:
    return "k_" + digest(source)[:24]


def store_kernel(source: str) -> Path:
    """Write the kernel source under its content hash (once) and return its path."""
    path = cache_dir() / "kernels" / f"{kernel_name(source)}.py"
    if not (path.is_file() and path.read_text(encoding="utf-8") == source):
        _write_atomically(path, source)
    return path


def verified_kernel(name: str) -> Path | None:
    """The path of a cached kernel whose content still matches its name."""
    path = cache_dir() / "kernels" / f"{name}.py"
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if kernel_name(source) != name:
        discard(path)
        return None
    return path


def discard(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


def lookup(key: str) -> str | None:
    """The kernel name recorded for an index key, if any."""
    try:
        entry = json.loads((cache_dir() / "index" / f"{key}.json").read_text(encoding="utf-8"))
        return entry["kernel"] if isinstance(entry, dict) and isinstance(entry.get("kernel"), str) else None
    except (OSError, ValueError):
        return None


def record(key: str, name: str) -> None:
    _write_atomically(cache_dir() / "index" / f"{key}.json", json.dumps({"kernel": name}))
