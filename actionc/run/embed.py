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
