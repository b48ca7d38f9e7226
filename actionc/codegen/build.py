"""Model (or .act text) + method → Kernel, through the cache.

    text ──digest(text, method, options, versions)──► index ──► kernel file
      │ miss                                                      ▲
      └─► parse → lower → choose integrator → generate ──store────┘

A hit imports neither the parser nor SymPy.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numba

from actionc import __version__
from actionc.codegen import cache
from actionc.codegen.kernel import CacheError, Kernel, load_module


def text_hash(text: str) -> str:
    """The hash of a model's text, recorded in every result's meta."""
    return cache.digest(text)[:16]


@functools.lru_cache(maxsize=1)
def _fingerprint() -> str:
    """A digest of actionc's own source: a kernel built by other code (an
    edited checkout, another release) is never looked up by this one."""
    package = Path(__file__).resolve().parents[1]
    files = sorted(package.rglob("*.py")) + sorted(package.rglob("*.lark"))
    return cache.digest(*(f"{f.relative_to(package)}:{f.read_text(encoding='utf-8')}" for f in files))


def _key(text: str, method: str | None, mass_matrix: bool | None) -> str:
    return cache.digest(_fingerprint(), __version__, numba.__version__, text, str(method), str(mass_matrix))


def from_text(text: str, filename: str = "<string>", method: str | None = None, mass_matrix: bool | None = None):
    """The kernel of an .act text; on a cache hit no SymPy work at all."""
    key = _key(text, method, mass_matrix)
    name = cache.lookup(key)
    if name is not None:
        path = cache.verified_kernel(name)
        if path is not None:
            try:
                load_module(path)
                return Kernel(path)
            except CacheError:
                cache.discard(path)
    from actionc.lang import parse  # a miss: now the symbolic pipeline

    kernel = from_model(parse(text, filename), method, mass_matrix)
    cache.record(key, kernel.path.stem)
    return kernel


def from_model(model, method: str | None = None, mass_matrix: bool | None = None) -> Kernel:
    """A sampler (actionc.samplers: reverse-em, pc, pf-rk4, …) lowers the model
    in its direction and runs the integrator it names."""
    from actionc.lower import lower
    from actionc.samplers import SAMPLERS

    direction, integrator = SAMPLERS.get(method, ("forward", method))
    system = lower(model, mass_matrix=mass_matrix, direction=direction)
    return from_system(system, integrator, label=method if method in SAMPLERS else None)


def from_system(system, method: str | None = None, label: str | None = None) -> Kernel:
    from actionc.codegen.integrators import choose
    from actionc.codegen.module import generate

    source = generate(system, choose(system, method), label)
    path = cache.store_kernel(source)
    try:
        load_module(path)
    except CacheError:
        cache.discard(path)
        path = cache.store_kernel(source)
        load_module(path)
    return Kernel(Path(path))
