"""Handing kernels out: C-callable functions (Numba cfuncs), LLVM IR, and
the Numba functions themselves for use inside other @njit code.

    compiled = actionc.compile("examples/pendulum.act")
    drift = compiled.cfunc("drift")      # .address, .ctypes: void(const double*, double, const double*, double*)
    step = compiled.cfunc("step")        # int(double*, double, double, const double*, uint64_t*, double*)
    compiled.llvm("step")                # the LLVM IR of one step
    compiled.numba("drift")              # a Numba function: drift(x_tuple, t, p_array) -> tuple
"""

from __future__ import annotations

from functools import lru_cache

from numba import cfunc, types

from actionc.codegen.kernel import KernelMeta

_POINTER = types.CPointer(types.float64)
SIGNATURES = {
    "drift": types.void(_POINTER, types.float64, _POINTER, _POINTER),
    "step": types.int64(_POINTER, types.float64, types.float64, _POINTER, types.CPointer(types.uint64), _POINTER),
}


@lru_cache(maxsize=None)
def c_callable(module, name: str):
    """The Numba cfunc of the kernel module's c_<name> wrapper."""
    if name not in SIGNATURES:
        raise ValueError(f"no C-callable '{name}'; there are: {', '.join(SIGNATURES)}")
    return cfunc(SIGNATURES[name], nopython=True)(getattr(module, f"c_{name}"))


# ---- a standalone shared library from the Numba/LLVM code -------------------------

_WRAPPERS = {
    # C ABI wrapper around Numba's calling convention: (retptr, excinfo, args...) -> status
    "drift": (
        "define void @{prefix}_drift(ptr %x, double %t, ptr %p, ptr %out) {{\n"
        "entry:\n  %ret = alloca i64, align 8\n  %exc = alloca ptr, align 8\n"
        "  %status = call i32 @{inner}(ptr %ret, ptr %exc, ptr %x, double %t, ptr %p, ptr %out)\n"
        "  ret void\n}}\n"
    ),
    "step": (
        "define i64 @{prefix}_step(ptr %x, double %t, double %dt, ptr %p, ptr %s, ptr %c) {{\n"
        "entry:\n  %ret = alloca i64, align 8\n  %exc = alloca ptr, align 8\n"
        "  %status = call i32 @{inner}(ptr %ret, ptr %exc, ptr %x, double %t, double %dt, ptr %p, ptr %s, ptr %c)\n"
        "  %value = load i64, ptr %ret, align 8\n  ret i64 %value\n}}\n"
    ),
}

# Numba's array clean-up names this runtime function; the wrappers hand it
# only unmanaged memory (carray), so it is never called: a no-op satisfies the linker.
_RUNTIME_STUB = "void NRT_MemInfo_call_dtor(void *meminfo) { (void)meminfo; }\n"


def shared_library(compiled, out_dir, prefix: str):
    """Compile the kernel's drift and one step of its method to a standalone
    shared library (LLVM object code from Numba, linked by the system C
    compiler) with a C header. Returns (library path, header path)."""
    import shutil
    import subprocess
    import tempfile
    from pathlib import Path

    import llvmlite.binding as llvm
    import numba

    from actionc.errors import RunError

    if shutil.which("cc") is None and shutil.which("gcc") is None:
        raise RunError("--target so needs a C compiler (cc or gcc) to link the library")
    module = compiled.kernel.module
    pieces = []
    for name in ("drift", "step"):
        function = numba.njit(SIGNATURES[name], no_cpython_wrapper=True, no_cfunc_wrapper=True)(
            getattr(module, f"c_{name}")
        )
        overload = function.overloads[SIGNATURES[name].args]
        ir = overload.library.get_llvm_str()
        external = {line.split("@")[1].split("(")[0] for line in ir.splitlines() if line.startswith("declare")}
        # libm (pow, exp, sincos, …) is fine; Numba's runtime and Python's C API are not
        runtime = ("NRT_", "numba_", "Py", "_Py")
        unsupported = {s for s in external if s.startswith(runtime) and s != "NRT_MemInfo_call_dtor"}
        if unsupported:
            raise RunError(
                f"this model's kernel needs the Numba runtime ({', '.join(sorted(unsupported))}), "
                "which a standalone library cannot carry",
                hint="use --target c: the emitted C does the same with libm only",
            )
        pieces.append(llvm.parse_assembly(ir))
        wrapper = _WRAPPERS[name].format(prefix=prefix, inner=overload.fndesc.llvm_func_name)
        declaration = next(
            line for line in ir.splitlines() if line.startswith("define") and overload.fndesc.llvm_func_name in line
        )
        pieces.append(llvm.parse_assembly(_declare(declaration) + wrapper))
    linked = pieces[0]
    for piece in pieces[1:]:
        linked.link_in(piece)
    linked.verify()
    machine = llvm.Target.from_default_triple().create_target_machine(reloc="pic", codemodel="default", opt=3)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    library = out / f"lib{prefix}.so"
    header = out / f"{prefix}_kernel.h"
    with tempfile.TemporaryDirectory() as folder:
        obj = Path(folder) / "kernel.o"
        obj.write_bytes(machine.emit_object(linked))
        stub = Path(folder) / "runtime_stub.c"
        stub.write_text(_RUNTIME_STUB)
        compiler = shutil.which("cc") or shutil.which("gcc")
        subprocess.run([compiler, "-shared", "-fPIC", "-o", str(library), str(obj), str(stub), "-lm"], check=True)
    header.write_text(_header(compiled, prefix), encoding="utf-8")
    return library, header


def _control_note(meta: KernelMeta) -> str:
    options = meta.control_options
    if not options:
        return ""
    slots = " and ".join(f"control[{slot}] = {name}" for slot, name in options)
    return f" ({meta.method}: set {slots} first)"


def _declare(definition: str) -> str:
    """A `declare` for the function a `define` line defines (attributes dropped)."""
    name_and_args = definition[definition.index("@") :].split(")")[0] + ")"
    name, args = name_and_args.split("(", 1)
    types_only = ", ".join(argument.strip().split(" ")[0] for argument in args[:-1].split(","))
    return f"declare i32 {name}({types_only})\n"


def _header(compiled, prefix: str) -> str:
    from actionc.version import __version__

    meta = compiled.meta
    params = ", ".join(f"{name} = {value!r}" for name, value in meta.params) or "none"
    upper = prefix.upper()
    return f"""/* {prefix}_kernel.h — lib{prefix}.so, generated by actionc {__version__} from model '{meta.model}'
 * ({meta.kind}), method {meta.method}: the compiled Numba/LLVM kernel, standalone (libm only).
 * State x: {", ".join(meta.state)}. Parameters p, in this order (defaults): {params}.
 * Link with -l{prefix} (and -lm).
 */
#ifndef ACTIONC_{upper}_KERNEL_H
#define ACTIONC_{upper}_KERNEL_H
#include <stdint.h>

#define {upper}_N_STATE {len(meta.state)}
#define {upper}_N_PARAMS {len(meta.params)}
#define {upper}_N_CONTROL {meta.control}

/* f(x, t): the drift */
void {prefix}_drift(const double *x, double t, const double *p, double *out);

/* One step of {meta.method}, x in place. stream: 4 words of random state (any
 * non-zero values; advanced in place); control: {upper}_N_CONTROL doubles, zero at
 * the start, kept between steps{_control_note(meta)}. Returns 0, or a failure
 * code (1 diverged, 2 Newton failed, 3 step size underflow). */
int64_t {prefix}_step(double *x, double t, double dt, const double *p, uint64_t *stream, double *control);

#endif
"""
