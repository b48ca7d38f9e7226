"""The compiler driver: the only place where the stages meet.

    .act text ──parse──► Model ──lower──► System ──choose──► Integrator
                                                                 │ generate
    Kernel ◄──────────────── cache (source in, kernel out) ◄── source

A method name is decoded once (actionc.methods): the direction the model is
lowered in and the integrator that runs it. An index from the model's text
to its kernel lets a warm run skip every stage before the cache, so the
stages' modules (SymPy, the parser) are imported only on a miss: a warm
`actionc run` imports neither.
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

from actionc.codegen import cache
from actionc.codegen.kernel import Kernel, build, lookup
from actionc.errors import RunError
from actionc.methods import SAMPLERS, Method, decode
from actionc.run.compiled import Compiled
from actionc.run.result import Result
from actionc.version import __version__


def system(model, method: Method, *, mass_matrix: bool | None = None, external_score: bool = False, event=None):
    """Model → System, in the method's direction (watching for `event`)."""
    from actionc.lower import lower

    return lower(model, mass_matrix=mass_matrix, direction=method.direction, external_score=external_score, event=event)


def kernel_source(
    model, method: Method, *, mass_matrix: bool | None = None, external_score: bool = False, event=None
) -> str:
    """Model + Method → the source of its kernel module."""
    from actionc.codegen import indexed, module
    from actionc.codegen.integrators import choose
    from actionc.lower import equip

    lowered = system(model, method, mass_matrix=mass_matrix, external_score=external_score, event=event)
    integrator = choose(lowered, method.integrator)  # System → Integrator
    if lowered.indexed:  # arrays: element loops over a state in memory
        return indexed.generate(lowered, integrator, method.label)
    lowered = equip(lowered, integrator.requires)  # + what only this integrator needs (a Jacobian, …)
    return module.generate(lowered, integrator, method.label)  # → source


def kernel(model, method: Method, *, mass_matrix: bool | None = None, event=None) -> Kernel:
    """Model + Method → a loaded kernel, through the cache."""
    return build(kernel_source(model, method, mass_matrix=mass_matrix, event=event))


def kernel_of_text(text: str, filename: str, method: Method, *, mass_matrix: bool | None = None) -> Kernel:
    """.act text → its kernel; on an index hit no parsing and no SymPy at all."""
    key = _index_key(text, method, mass_matrix)
    found = lookup(key)
    if found is not None:
        return found
    from actionc.lang import parse

    built = kernel(parse(text, filename), method, mass_matrix=mass_matrix)
    cache.record(key, built.path.stem)
    return built


def text_hash(text: str) -> str:
    """The hash of a model's text, recorded in every result's meta."""
    return cache.digest(text)[:16]


@functools.lru_cache(maxsize=1)
def _fingerprint() -> str:
    """A digest of actionc's own source: a kernel built by other code (an
    edited checkout, another release) is never looked up by this one."""
    package = os.path.dirname(os.path.abspath(__file__))
    files = []
    for folder, subfolders, names in os.walk(package):  # os.walk and bytes: a warm run pays this (4x pathlib's speed)
        subfolders[:] = sorted(f for f in subfolders if f != "__pycache__")
        files += sorted(os.path.join(folder, name) for name in names if name.endswith((".py", ".lark")))
    checkout_grammar = os.path.join(os.path.dirname(package), "grammar", "actionc.lark")  # a checkout keeps it here
    files += [checkout_grammar] if os.path.isfile(checkout_grammar) else []
    digest = hashlib.sha256()
    for name in files:
        with open(name, "rb") as stream:
            digest.update(os.path.relpath(name, os.path.dirname(package)).encode() + b"\0" + stream.read() + b"\0")
    return digest.hexdigest()


def _index_key(text: str, method: Method, mass_matrix: bool | None) -> str:
    # Numba's version is not part of it: the kernel's source does not depend on it, Numba keys its
    # own cache, and a kernel's shared library says which Numba built it (importing Numba to ask
    # would cost a warm run more than the rest of it)
    return cache.digest(_fingerprint(), __version__, text, str(method.name), str(mass_matrix))


# ---- what the API and the command line call ----


def compile(  # noqa: A001
    model,
    method: str | None = None,
    *,
    mass_matrix: bool | None = None,
    until: str | None = None,
    section: str | None = None,
) -> Compiled:
    """Compile `model` — a Model, or the path of an .act file — for `method`
    (default: the model's natural method). Kernels are cached on disk: a
    second call, in this process or another, does no SymPy or LLVM work.

    until: a condition in the model's names ('x > 0.9'): each particle stops
    when it first holds, and its run records the hitting time and state.
    section: a surface and conditions ('x = 0, px > 0'): every crossing is
    recorded (a Poincaré section). See docs/running.md, "Events"."""
    if until is not None or section is not None:
        return _compile_with_event(model, method, mass_matrix, until, section)
    if isinstance(model, (str, Path)):
        path = Path(model)
        text = path.read_text(encoding="utf-8")
        return compile_text(text, method, filename=str(path), mass_matrix=mass_matrix)
    built = kernel(model, decode(method), mass_matrix=mass_matrix)
    return Compiled(built, text_hash(model.source) if model.source else "", model.source, _folder(model.filename))


def _compile_with_event(model, method, mass_matrix, until, section) -> Compiled:
    from actionc.lang import load
    from actionc.lang.condition import read_condition
    from actionc.system import Event

    if until is not None and section is not None:
        raise RunError("give --until or --section, not both")
    if decode(method).is_sampler:
        raise RunError("events (--until, --section) watch a model's own dynamics, not a sampler's")
    if isinstance(model, (str, Path)):
        model = load(model)
    text, flag = (until, "--until") if until is not None else (section, "--section")
    condition = read_condition(model, text, flag)
    event = Event(condition.crossing, condition.keep, condition.two_sided, stop=until is not None, text=text)
    built = kernel(model, decode(method), mass_matrix=mass_matrix, event=event)
    return Compiled(built, text_hash(model.source) if model.source else "", model.source)


def compile_text(text: str, method: str | None = None, *, filename: str = "<string>", mass_matrix=None) -> Compiled:
    """compile() for .act text held in memory (e.g. a result's meta["source"])."""
    built = kernel_of_text(text, filename, decode(method), mass_matrix=mass_matrix)
    return Compiled(built, text_hash(text), text, _folder(filename))


def _folder(filename: str) -> str:
    """Where a model's data files are found: beside the model file."""
    return "" if filename.startswith("<") else str(Path(filename).resolve().parent)


def c_source(model, method: str | None = None, *, bake_params: bool = False) -> tuple[str, str]:
    """The C header and source of a model's drift and step (emit --target c);
    a sampler's method emits its reverse-time SDE or probability flow."""
    from actionc.codegen.c import emit_c

    _scalar_only(model, "emitting C")
    return emit_c(system(model, decode(method)), bake_params=bake_params)


def sampler(model, score, method: str = "reverse-em") -> Compiled:
    """`model`'s sampler `method` (reverse-em, pc, pf-rk4, pf-dopri5) driven
    by `score`, a Numba function score(x, t, out), ready to run."""
    from actionc.run.sampling import scored

    decoded = decode(method)
    if not hasattr(score, "py_func"):
        raise RunError("the score must be a Numba function: @numba.njit def score(x, t, out)")
    if not decoded.draws_samples:
        names = ", ".join(name for name, m in SAMPLERS.items() if m.draws_samples)
        raise RunError(f"unknown sampler '{method}'; the samplers are: {names}")
    if isinstance(model, (str, Path)):
        from actionc.lang import load

        model = load(model)
    return scored(cache.store_kernel(kernel_source(model, decoded, external_score=True)), score)


def sample(model, score, *, method: str = "reverse-em", steps: int, particles: int, **options) -> Result:
    """Samples of p_0 from a score supplied at run time: `steps` steps from
    t = T down to 0. options: seed, params, threads, save_every, rtol, atol
    (see actionc.run.simulate)."""
    from actionc.run.sampling import sample_with

    return sample_with(sampler(model, score, method), score, steps=steps, particles=particles, **options)


def density(model, **options):
    """The Fokker–Planck density of an SDE or energy model — a Model, or the
    path of an .act file — on a grid (a DensityResult; docs/density.md).
    options: t_end, dt, save_every, grid, boundary, params, initial,
    stationary, eigenvalues (see actionc.run.density.solve)."""
    from actionc.run.density import solve

    if isinstance(model, (str, Path)):
        from actionc.lang import load

        model = load(model)
    _scalar_only(model, "a density on a grid")
    return solve(system(model, decode(None)), source=model.source or "", **options)


def log_likelihood(model, points, **options):
    """log p_0 of each row of `points` under the model's data distribution,
    through its probability flow (actionc.run.likelihood)."""
    from actionc.run.likelihood import log_likelihood_with

    return log_likelihood_with(compile(model, "likelihood"), points, **options)


def _scalar_only(model, what: str) -> None:
    if model.is_indexed:
        raise RunError(
            f"{what} is not supported for indexed models (arrays) yet",
            hint="indexed models run with 'actionc run' and compile(...).run(); "
            "docs/indexed.md lists what they support",
        )
