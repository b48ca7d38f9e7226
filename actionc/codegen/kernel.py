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

from actionc.codegen import cache, library
from actionc.kinds import Calculus, Kind
from actionc.methods import Direction

REQUIRED = ("META", "run_particles")
MAX_STATE = 50_000_000  # entries of one particle's state (an indexed model's sizes): 400 MB a particle


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
    return Kernel(_stored(source, REQUIRED)[0])


def load_source_module(source: str) -> ModuleType:
    """A generated module that is not a kernel (the NumPy coefficients of
    actionc density), stored and loaded through the same door as build."""
    return _stored(source, ())[1]


def _stored(source: str, required: tuple[str, ...]) -> tuple[Path, ModuleType]:
    path = cache.store_kernel(source)
    try:
        return path, load_module(path, required)
    except CacheError:  # a stale or broken file of the same name: write it again
        cache.discard(path)
        path = cache.store_kernel(source)
        return path, load_module(path, required)


def lookup(key: str) -> Kernel | None:
    """The kernel an index key names, if it is cached, intact and loads:
    through its shared library where it has one (Numba is not imported),
    else as a module."""
    name = cache.lookup(key)
    path = cache.verified_kernel(name) if name is not None else None
    if path is None:
        return None
    if library.load(path) is not None:
        return Kernel(path)
    try:
        load_module(path)
    except CacheError:
        cache.discard(path)
        return None
    return Kernel(path)


def numpy_functions(path: Path) -> ModuleType:
    """The NumPy functions of a kernel module (np_drift, np_invariants, …)
    without importing the module, so without Numba: its np_ functions are
    written once into a module of their own beside it, k_<hash>_numpy.py,
    whose first line holds the digest of the rest (a file cut short or
    changed is written again)."""
    name = f"actionc_kernels.{path.stem}_numpy"
    if name in sys.modules:
        return sys.modules[name]
    companion = path.with_name(f"{path.stem}_numpy.py")
    text = cache.read_text(companion) if cache.private_file(companion) else None
    if text is None or text != _with_digest(path, text.split("\n", 1)[-1]):
        cache.discard(companion)
        cache.write_atomically(companion, _with_digest(path, _numpy_part(path)))
    spec = importlib.util.spec_from_file_location(name, companion)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules[name] = module
    return module


def _numpy_part(path: Path) -> str:
    """The kernel source's `import numpy` and np_ functions, as source."""
    import ast  # once per kernel: not in a warm run's imports

    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    kept = [
        node
        for node in tree.body
        if (isinstance(node, ast.FunctionDef) and node.name.lstrip("_").startswith("np_"))
        or (isinstance(node, ast.Import) and all(alias.name == "numpy" for alias in node.names))
    ]
    return ast.unparse(ast.Module(body=kept, type_ignores=[])) + "\n"


def _with_digest(path: Path, body: str) -> str:
    return f"# The NumPy functions of {path.name} (actionc.codegen.kernel), sha256 {cache.digest(body)}\n{body}"


def meta_of(source: str) -> str:
    """The META text of a kernel module's source (the line META = "…")."""
    for line in source.splitlines():
        if line.startswith("META = "):
            return json.loads(line[len("META = ") :])
    raise CacheError("the kernel module has no META")


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
class KernelMeta:
    """What a kernel module says of itself in its META (written by
    codegen/module.py): the contract between a kernel and its callers."""

    model: str
    kind: Kind
    method: str  # as the user named it (a sampler's name, or the integrator's)
    integrator: str
    direction: Direction
    state: tuple[str, ...]
    coordinates: tuple[str, ...]  # mechanical models: q …
    conjugates: tuple[str, ...]  # … and their velocities q' (lagrangian) or momenta p (hamiltonian)
    params: tuple[tuple[str, float], ...]  # in the order of p[k], with their defaults
    noises: tuple[str, ...]
    calculus: Calculus
    invariants: tuple[str, ...]
    forces: bool  # non-conservative forces act: no action principle
    functions: tuple[str, ...]  # the model functions Compiled.function offers
    stats: tuple[str, ...]  # the integrator's per-particle counters
    control: int  # length of the per-particle control state (plus control_per_entry per state entry)
    control_options: tuple[tuple[int, str], ...]  # run options that seed control slots
    # control slots reported per particle after a run: (first, its coefficient of n, count, its coefficient
    # of n), n the state's length (a sampler's first divergence, and the state it started from)
    control_reports: dict[str, tuple[int, int, int, int]]
    failures: dict[str, tuple[str, str]]  # advance()'s codes -> (reason, remedy)
    actionc: str
    # indexed kernels: the state's blocks (name, lo, hi; bounds as [[size, coefficient], …, ["", constant]],
    # None for a scalar), the data arrays (name, size names, default path), the size parameters
    blocks: tuple = ()
    inputs: tuple = ()
    sizes: tuple[str, ...] = ()
    size_requirements: tuple = ()  # affine forms of the sizes, each ≥ 0 (x[7] of x[1..N]: N − 7)
    control_per_entry: int = 0  # an indexed sampler's control grows with the state (its mass matrix)

    @property
    def indexed(self) -> bool:
        return bool(self.blocks)

    def control_length(self, n: int) -> int:
        """The control state's length for a state of n entries."""
        return self.control + self.control_per_entry * n

    def control_slots(self, report: str, n: int) -> range:
        """The control slots of a report, for a state of n entries."""
        first, per_entry, count, count_per_entry = self.control_reports[report]
        start = first + per_entry * n
        return range(start, start + count + count_per_entry * n)

    def state_names(self, params: dict[str, float]) -> list[str]:
        """The names of the state's entries for these parameter values:
        q[1], …, q[N] for an array q[1..N]."""
        if not self.blocks:
            return list(self.state)

        def bound(terms) -> int:
            return sum(coefficient * (int(params[size]) if size else 1) for size, coefficient in terms)

        failing = [terms for terms in self.size_requirements if bound(terms) < 0]
        if failing:  # the largest need, for the sizes of the first failing requirement
            needs = {}
            for terms in failing:
                sizes = " + ".join(f"{c}*{s}" if c != 1 else s for s, c in terms if s)
                needs[sizes] = max(needs.get(sizes, -(2**62)), -sum(c for s, c in terms if not s))
            sizes, constant = next(iter(needs.items()))
            raise ValueError(f"the model reads elements that need {sizes} ≥ {constant}")

        if sum(1 if lo is None else bound(hi) - bound(lo) + 1 for _, lo, hi in self.blocks) > MAX_STATE:
            raise ValueError(f"the state would have more than {MAX_STATE:,} entries")
        names = []
        for name, lo, hi in self.blocks:
            if lo is None:
                names.append(name)
            else:
                names += [f"{name}[{k}]" for k in range(bound(lo), bound(hi) + 1)]
        return names

    event: dict | None = None  # {"stop": a first passage (else a section), "text": the condition}

    @classmethod
    def parse(cls, text: str) -> KernelMeta:
        raw = json.loads(text)
        return cls(
            model=raw["model"],
            kind=Kind(raw["kind"]),
            method=raw["method"],
            integrator=raw["integrator"],
            direction=Direction(raw["direction"]),
            state=tuple(raw["state"]),
            coordinates=tuple(raw["coordinates"]),
            conjugates=tuple(raw["conjugates"]),
            params=tuple((name, float(value)) for name, value in raw["params"]),
            noises=tuple(raw["noises"]),
            calculus=Calculus(raw["calculus"]),
            invariants=tuple(raw["invariants"]),
            forces=bool(raw["forces"]),
            functions=tuple(raw["functions"]),
            stats=tuple(raw["stats"]),
            control=int(raw["control"]),
            control_options=tuple((int(slot), name) for slot, name in raw["control_options"]),
            control_reports={name: tuple(map(int, slots)) for name, slots in raw["control_reports"].items()},
            control_per_entry=int(raw.get("control_per_entry", 0)),
            failures={code: tuple(words) for code, words in raw["failures"].items()},
            actionc=raw["actionc"],
            blocks=tuple(tuple(block) for block in raw.get("blocks", ())),
            inputs=tuple(tuple(item) for item in raw.get("inputs", ())),
            sizes=tuple(raw.get("sizes", ())),
            size_requirements=tuple(raw.get("size_requirements", ())),
            event=raw.get("event"),
        )


@dataclass(frozen=True)
class Kernel:
    """A compiled ensemble kernel: one model, one method, in one file.
    Pickles as its file path, so it can be sent to other processes."""

    path: Path

    @property
    def module(self) -> ModuleType:
        return load_module(self.path)

    @functools.cached_property
    def meta(self) -> KernelMeta:
        """What the module says of itself (parsed once: every run reads it),
        read from its text: a warm run does not import it."""
        return KernelMeta.parse(meta_of(self.source))

    @property
    def numpy(self) -> ModuleType:
        """The kernel's NumPy functions (np_drift, …), without Numba; an
        indexed kernel's evaluate its element functions, so its module."""
        return self.module if self.meta.indexed else numpy_functions(self.path)

    def run_particles(self):
        """The driver: from the kernel's shared library where it has one
        (no Numba), else the Numba function."""
        shared = library.load(self.path)
        return shared if shared is not None else self.module.run_particles

    def share(self, run_particles) -> None:
        """After Numba compiled run_particles for a run: build the shared
        library later runs load instead (once; actionc.codegen.library)."""
        if isinstance(run_particles, library.Driver) or self.meta.indexed or library.refused(self.path):
            return
        if self.module.CACHED:  # not a kernel that calls a function supplied at run time
            library.build(self.path, run_particles)

    @property
    def names(self) -> list[str]:
        return list(self.meta.state)

    @property
    def method(self) -> str:
        return self.meta.method

    @property
    def params(self) -> dict[str, float]:
        return dict(self.meta.params)

    @property
    def source(self) -> str:
        return self.path.read_text(encoding="utf-8")
