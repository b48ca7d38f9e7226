"""A kernel's driver, run_particles, as a shared library: built once from
the machine code Numba compiled for it, loaded with ctypes by every later
run, so that a warm run imports neither Numba nor LLVM.

Built (after Numba compiled run_particles for a run): the optimized LLVM
module of that compilation — the driver, the integrator, the model
functions, the random streams — is emitted as position-independent object
code for the same CPU and features Numba's JIT targets (the same IR through
the same code generator: the same bits), and linked by the system C
compiler with a small C shim. The shim gives the driver a C entry point
(arrays as data pointers and shapes) and supplies the four allocation
functions of Numba's runtime a kernel may call (a mass matrix's np.empty).
Anything else the code needs (Python's C API, the rest of Numba's runtime)
makes the link fail, and the kernel keeps running through Numba.

Stored beside the kernel source, k_<hash>.<target>.so, where the target
names this CPU: a cache shared between machines never hands one machine
another's instructions. The file is code we execute, like the source: it
is used only when it is ours and private (actionc.codegen.cache).
Loaded: the shim says which argument types it was built for, and a call
with others is refused before it is made.

This module imports neither Numba nor LLVM until it builds (tested).
"""

from __future__ import annotations

import ctypes
import functools
import os
import sys
from pathlib import Path

import numpy as np

from actionc.codegen import cache

ENTRY = "actionc_run_particles"


class NoCompilerWarning(UserWarning):
    """Kernels run through Numba in every process: no C compiler to link their libraries."""


@functools.lru_cache(maxsize=1)
def target() -> str | None:
    """A short name for this machine's CPU (its model and instruction-set
    flags), or None where shared libraries are not built (not Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as stream:
            first = stream.read(1 << 16).split("\n\n")[0]  # the first processor
    except OSError:
        return None
    keys = ("vendor_id", "cpu family", "model", "model name", "flags", "Features", "CPU implementer", "CPU part")
    described = sorted(line for line in first.splitlines() if line.split(":")[0].strip() in keys)
    return cache.digest(os.uname().machine, *described)[:12]


def path_of(kernel: Path) -> Path | None:
    name = target()
    return None if name is None else kernel.with_name(f"{kernel.stem}.{name}.so")


def _refusal(kernel: Path) -> Path | None:
    library = path_of(kernel)
    return None if library is None else library.with_suffix(".refused")


# ---- loading ------------------------------------------------------------------


class Driver:
    """run_particles(first, end, *arguments) of a shared library: the same
    arguments, the same effect as the Numba function (ctypes releases the
    GIL for the call, so threads run blocks of particles side by side)."""

    def __init__(self, library: ctypes.CDLL, path: Path) -> None:
        self.path = path
        self._entry = library[ENTRY]
        self._entry.restype = ctypes.c_int32
        self._entry.argtypes = [ctypes.c_void_p] * 4
        signature = library["actionc_signature"]
        signature.restype = ctypes.c_char_p
        built_by = library["actionc_built_by"]
        built_by.restype = ctypes.c_char_p
        self.signature = signature().decode()
        self.built_by = dict(item.split(" ", 1) for item in built_by().decode().split(", "))

    def accepts(self, first, end, *arguments) -> bool:
        return _signature((first, end, *arguments)) == self.signature

    def __call__(self, first, end, *arguments) -> None:
        values = (first, end, *arguments)
        if _signature(values) != self.signature:  # never call compiled code with what it was not built for
            raise TypeError(f"{self.path.name} takes ({self.signature}), not ({_signature(values)})")
        arrays = [v for v in values if isinstance(v, np.ndarray)]
        pointers = np.array([a.ctypes.data for a in arrays], dtype=np.uintp)
        shapes = np.array([n for a in arrays for n in a.shape] or [0], dtype=np.int64)
        whole = [v for v in values if not isinstance(v, (np.ndarray, float, np.floating))]
        integers = np.array([int(v) & 0xFFFF_FFFF_FFFF_FFFF for v in whole] or [0], dtype=np.uint64)
        reals = np.array([float(v) for v in values if isinstance(v, (float, np.floating))] or [0.0])
        status = self._entry(pointers.ctypes.data, shapes.ctypes.data, integers.ctypes.data, reals.ctypes.data)
        if status != 0:  # the driver raises nothing it was given valid arrays for; say so if it ever does
            raise RuntimeError(f"{self.path.name}: run_particles failed (status {status})")


def _signature(values) -> str:
    """The argument types as the shim names them: float64[2] (a C-ordered
    array of 2 dimensions), int64, uint64, float64."""
    kinds = []
    for value in values:
        if isinstance(value, np.ndarray):
            ok = value.flags.c_contiguous and value.flags.aligned and value.flags.writeable
            kinds.append(f"{value.dtype.name}[{value.ndim}]" if ok else "strided")
        elif isinstance(value, np.uint64):
            kinds.append("uint64")
        elif isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
            kinds.append("int64")
        elif isinstance(value, (float, np.floating)):
            kinds.append("float64")
        else:
            kinds.append(type(value).__name__)
    return ",".join(kinds)


_loaded: dict[Path, Driver] = {}


def load(kernel: Path) -> Driver | None:
    """The driver of the kernel at `kernel` from its shared library, or None
    when there is none for this CPU (or it is not ours, or does not load)."""
    path = path_of(kernel)
    if path is None:
        return None
    if path in _loaded:
        return _loaded[path]
    if not cache.private_file(path):
        return None
    try:
        driver = Driver(ctypes.CDLL(str(path)), path)
    except (OSError, AttributeError, ValueError):  # truncated, foreign, or from an older actionc: rebuilt
        cache.discard(path)
        return None
    _loaded[path] = driver
    return driver


def refused(kernel: Path) -> bool:
    """Whether building this kernel's library failed before (it runs through Numba)."""
    marker = _refusal(kernel)
    return marker is not None and marker.exists()


# ---- building -----------------------------------------------------------------


def compiler() -> str | None:
    import shutil

    return shutil.which("cc") or shutil.which("gcc")


@functools.lru_cache(maxsize=1)
def _say_no_compiler() -> None:
    import warnings

    warnings.warn(
        "no C compiler (cc or gcc) to link kernels into shared libraries: kernels run through Numba, "
        "and every process imports it (a warm run takes longer; the results are the same)",
        NoCompilerWarning,
        stacklevel=3,
    )


def build(kernel: Path, dispatcher) -> Path | None:
    """Build the shared library of the kernel at `kernel` from its Numba
    function run_particles, compiled once (by the run that calls this).
    Returns its path, or None when it cannot be built here (said once when
    there is no C compiler; a kernel that needs more of Numba's runtime is
    marked, and runs through Numba)."""
    import tempfile

    path = path_of(kernel)
    if path is None or len(dispatcher.overloads) != 1:
        return None
    if compiler() is None:
        _say_no_compiler()
        return None
    compiled = next(iter(dispatcher.overloads.values()))
    try:
        with tempfile.TemporaryDirectory(dir=path.parent) as folder:
            built = _link(compiled, Path(folder))
            built.chmod(0o700)
            os.replace(built, path)
    except _Refused as error:
        cache.write_atomically(_refusal(kernel), f"{error}\n")
        return None
    except (OSError, _FromNumbasCache):  # a full disk, a folder made read-only meanwhile: through Numba
        return None
    return path


class _Refused(Exception):
    """This kernel's code needs more than a standalone library carries."""


class _FromNumbasCache(Exception):
    """Numba loaded run_particles from its cache: machine code for its JIT, no LLVM IR to build from."""


def _link(compiled, folder: Path) -> Path:
    import subprocess

    import llvmlite
    import llvmlite.binding as llvm
    import numba
    from numba.core import config

    native = compiled.fndesc.llvm_func_name
    module = llvm.parse_assembly(compiled.library.get_llvm_str())
    if native not in {function.name for function in module.functions}:
        raise _FromNumbasCache
    for name in (compiled.fndesc.llvm_cpython_wrapper_name, compiled.fndesc.llvm_cfunc_wrapper_name):
        try:
            module.get_function(name).linkage = "available_externally"  # Python's wrappers: never emitted
        except NameError:
            pass
    parameters = [str(argument.type) for argument in module.get_function(native).arguments]
    arguments, expected = _native_arguments(compiled.signature.args)
    if parameters != ["ptr", "ptr", *expected]:
        raise _Refused(f"run_particles has parameters ({', '.join(parameters)}), not the expected ones")
    codegen = compiled.library.codegen
    machine = llvm.Target.from_default_triple().create_target_machine(
        cpu=codegen._get_host_cpu_name(),
        features=codegen._tm_features,
        opt=config.OPT,
        reloc="pic",
        codemodel="default",
    )
    (folder / "kernel.o").write_bytes(machine.emit_object(module))
    built_by = f"numba {numba.__version__}, llvmlite {llvmlite.__version__}"
    (folder / "shim.c").write_text(_shim(native, arguments, compiled.signature.args, built_by), encoding="utf-8")
    (folder / "exports.map").write_text(f"{{ global: {ENTRY}; actionc_signature; actionc_built_by; local: *; }};\n")
    library = folder / "kernel.so"
    command = [compiler(), "-shared", "-fPIC", "-O2", "-o", str(library), "kernel.o", "shim.c"]
    command += ["-Wl,--no-undefined", "-Wl,--version-script=exports.map", "-lm"]
    linked = subprocess.run(command, cwd=folder, capture_output=True, text=True)
    if linked.returncode != 0:
        raise _Refused(f"the link failed: {linked.stderr.strip()[-2000:]}")
    return library


def _native_arguments(types) -> tuple[list[str], list[str]]:
    """Numba passes an array flattened: meminfo, parent, nitems, itemsize,
    data, shape…, strides…. (C expressions of the shim's inputs, LLVM types.)"""
    from numba.core import types as nb

    c, llvm = [], []
    counts = {"array": 0, "shape": 0, "integer": 0, "real": 0}
    for kind in types:
        if isinstance(kind, nb.Array):
            if kind.layout != "C":
                raise _Refused(f"an argument of layout {kind.layout}")
            a, s = counts["array"], counts["shape"]
            size = kind.dtype.bitwidth // 8 if kind.dtype != nb.boolean else 1
            shape = [f"shapes[{s + k}]" for k in range(kind.ndim)]
            strides = [" * ".join([str(size), *shape[k + 1 :]]) for k in range(kind.ndim)]
            items = " * ".join(shape)
            c += ["NULL", "NULL", items, str(size), f"arrays[{a}]", *shape, *strides]
            llvm += ["ptr", "ptr", "i64", "i64", "ptr", *["i64"] * (2 * kind.ndim)]
            counts["array"], counts["shape"] = a + 1, s + kind.ndim
        elif isinstance(kind, nb.Integer) and kind.bitwidth == 64:
            c.append(f"({'int64_t' if kind.signed else 'uint64_t'})integers[{counts['integer']}]")
            llvm.append("i64")
            counts["integer"] += 1
        elif kind == nb.float64:
            c.append(f"reals[{counts['real']}]")
            llvm.append("double")
            counts["real"] += 1
        else:
            raise _Refused(f"an argument of type {kind}")
    return c, llvm


def _c_type(llvm_type: str) -> str:
    return {"ptr": "void *", "i64": "int64_t", "double": "double"}[llvm_type]


def _shim(native: str, arguments: list[str], types, built_by: str) -> str:
    """The C entry point and the allocation functions of Numba's runtime
    (NRT) a kernel may call, over the MemInfo layout of numba/core/runtime/nrt.cpp."""
    _, llvm = _native_arguments(types)
    declared = ", ".join(["void *", "void *", *map(_c_type, llvm)])
    signature = _signature_of(types)
    call = ",\n        ".join(["&result", "&exception", *arguments])
    return f"""/* The C entry point of a kernel's run_particles (actionc.codegen.library). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define HIDDEN __attribute__((visibility("hidden")))

typedef struct {{
    size_t refct;
    void (*dtor)(void *, size_t, void *);
    void *dtor_info;
    void *data;
    size_t size;
    void *external_allocator;
}} MemInfo;

HIDDEN void *NRT_Allocate(size_t size) {{ return malloc(size); }}
HIDDEN void NRT_Free(void *pointer) {{ free(pointer); }}

HIDDEN MemInfo *NRT_MemInfo_alloc_aligned(size_t size, unsigned align) {{
    MemInfo *info = malloc(sizeof(MemInfo) + size + 2 * (size_t)align);
    if (info == NULL) return NULL;
    uintptr_t data = (uintptr_t)(info + 1);
    if (align > 1 && data % align) data += align - data % align;
    info->refct = 1;
    info->dtor = NULL;
    info->dtor_info = NULL;
    info->data = (void *)data;
    info->size = size;
    info->external_allocator = NULL;
    return info;
}}
HIDDEN MemInfo *NRT_MemInfo_alloc(size_t size) {{ return NRT_MemInfo_alloc_aligned(size, 1); }}
HIDDEN MemInfo *NRT_MemInfo_alloc_safe_aligned(size_t size, unsigned align) {{
    return NRT_MemInfo_alloc_aligned(size, align);
}}
HIDDEN void NRT_MemInfo_call_dtor(MemInfo *info) {{
    if (info->dtor) info->dtor(info->data, info->size, info->dtor_info);
    free(info);
}}

extern int32_t native({declared}) __asm__("{native}");

int32_t {ENTRY}(void *const *arrays, const int64_t *shapes, const uint64_t *integers, const double *reals) {{
    int64_t result[4] = {{0, 0, 0, 0}};
    void *exception = NULL;
    return native(
        {call});
}}

const char *actionc_signature(void) {{ return "{signature}"; }}
const char *actionc_built_by(void) {{ return "{built_by}"; }}
"""


def _signature_of(types) -> str:
    """The shim's argument types in _signature's words."""
    from numba.core import types as nb

    words = []
    for kind in types:
        if isinstance(kind, nb.Array):
            words.append(f"{np.dtype(str(kind.dtype) if kind.dtype != nb.boolean else 'bool').name}[{kind.ndim}]")
        else:
            words.append(str(kind))
    return ",".join(words)
