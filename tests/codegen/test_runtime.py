"""The kernels' runtime: the normal draws of the ziggurat, split into an
inlined fast path and a called remainder, are those of the one loop."""

import math

import numba
import numpy as np
from numba import int64, uint64

from actionc.codegen import runtime


@numba.njit
def one_loop_normal(s):
    """Doornik's ZIGNOR as one loop (the form the runtime had before it was split)."""
    while True:
        bits, s = runtime.next_u64(s)
        i = int(bits & uint64(127))
        u = 2.0 * float(int64(bits >> uint64(11))) * runtime._TO_UNIT - 1.0
        if abs(u) < runtime._ZIG_RATIO[i]:
            return u * runtime._ZIG_X[i], s
        if i == 0:
            while True:
                a, s = runtime.uniform(s)
                b, s = runtime.uniform(s)
                a = math.log(1.0 - a) / runtime._ZIG_TAIL
                b = math.log(1.0 - b)
                if -2.0 * b >= a * a:
                    return (a - runtime._ZIG_TAIL if u < 0.0 else runtime._ZIG_TAIL - a), s
        x = u * runtime._ZIG_X[i]
        f0 = math.exp(-0.5 * (runtime._ZIG_X[i] * runtime._ZIG_X[i] - x * x))
        f1 = math.exp(-0.5 * (runtime._ZIG_X[i + 1] * runtime._ZIG_X[i + 1] - x * x))
        v, s = runtime.uniform(s)
        if f1 + v * (f0 - f1) < 1.0:
            return x, s


@numba.njit
def draws(normal, count):
    s = runtime.seed_stream(7, 3)
    out = np.empty(count)
    for k in range(count):
        out[k], s = normal(s)
    return out


def test_the_split_ziggurat_draws_what_the_one_loop_draws():
    count = 400_000  # about 1% fall outside the rectangles: thousands of tails and wedges
    split, whole = draws(runtime.normal, count), draws(one_loop_normal, count)
    assert split.tobytes() == whole.tobytes()
    assert np.sum(np.abs(whole) > runtime._ZIG_TAIL) > 50  # the tail was drawn from, so it was compared
