"""The compiled kernel object, and the cache's two doors: source in,
kernel out (build), and an index key in, kernel out (lookup).

Importing a cached module is all a warm run does: Numba finds its compiled
code next to the file (cache=True). This module must not import SymPy.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from actionc.codegen import cache

REQUIRED = ("META", "run_particles")


class CacheError(RuntimeError):
    """A cached kernel that cannot be used; the caller rebuilds it."""


def load_module(path: Path, required: tuple[str, ...] = REQUIRED) -> ModuleType:
    name = f"actionc_kernels.{path.stem}"
    if name in sys.modules:
        return sys.modules[name]
    cache.sound(path)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise CacheError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    try:
        with _numba_cache_beside_the_kernel():
            spec.loader.exec_module(module)
    except Exception as error:  # a broken file must be rebuilt, whatever broke it
        raise CacheError(f"cannot import {path}: {error}") from error
    if any(not hasattr(module, attribute) for attribute in required):
        raise CacheError(f"{path} is not a kernel module")
    sys.modules[name] = module
    return module


def build(source: str) -> Kernel:
    """The kernel of a generated module's source, stored under its content hash."""
    path = cache.store_kernel(source)
    try:
        load_module(path)
    except CacheError:  # a stale or broken file of the same name: write it again
        cache.discard(path)
        path = cache.store_kernel(source)
        load_module(path)
    return Kernel(path)


def load_source_module(source: str) -> ModuleType:
    """A generated module that is not a kernel (the NumPy coefficients of
    actionc density), stored and loaded through the same door as build."""
    path = cache.store_kernel(source)
    try:
        return load_module(path, ())
    except CacheError:  # a stale or broken file of the same name: write it again
        cache.discard(path)
        return load_module(cache.store_kernel(source), ())


def lookup(key: str) -> Kernel | None:
    """The kernel an index key names, if it is cached, intact and loads."""
    name = cache.lookup(key)
    path = cache.verified_kernel(name) if name is not None else None
    if path is None:
        return None
    try:
        load_module(path)
    except CacheError:
        cache.discard(path)
        return None
    return Kernel(path)


@contextlib.contextmanager
def _numba_cache_beside_the_kernel():
    """Numba keeps a kernel's compiled code in its __pycache__, inside the
    checked cache folder, even where NUMBA_CACHE_DIR names another folder:
    Numba chooses the folder when the module's functions are decorated."""
    from numba.core import config

    saved, config.CACHE_DIR = config.CACHE_DIR, ""
    try:
        yield
    finally:
        config.CACHE_DIR = saved


@dataclass(frozen=True)
class Kernel:
    """A compiled ensemble kernel: one model, one method, in one file.
    Pickles as its file path, so it can be sent to other processes."""

    path: Path

    @property
    def module(self) -> ModuleType:
        return load_module(self.path)

    @functools.cached_property
    def meta(self) -> dict:
        """What the module says of itself (parsed once: every run reads it)."""
        return json.loads(self.module.META)

    @property
    def names(self) -> list[str]:
        return self.meta["state"]

    @property
    def method(self) -> str:
        return self.meta["method"]

    @property
    def params(self) -> dict[str, float]:
        return {name: value for name, value in self.meta["params"]}

    @property
    def source(self) -> str:
        return self.path.read_text(encoding="utf-8")
