"""The runtime every generated kernel module carries: the one `jit` wrapper,
random numbers, a small linear solver.

This file is valid Python on its own (and tested as such), but its text is
copied into each generated module below the marker line, because Numba's
cache only follows the file a function is defined in.
"""

# A generated module sets this above its copy: False where a kernel calls a
# function supplied at run time, whose machine code no file can hold.
CACHED = True
# and this: the floating-point liberties LLVM may take. Kernels of indexed
# models add "reassoc", so that sums over elements and data rows vectorize.
FASTMATH = {"contract", "nsz"}

# ---- runtime: copied into every generated module from here on ----
import math

import numba
import numpy as np
from numba import int64, uint64

# The one place that sets Numba's flags. fastmath keeps NaN and Inf
# observable (no nnan/ninf): divergence checks must see them.
#   jit           the hot path (small model functions, advance, random
#                 numbers): inlined into the drivers at Numba-IR level; left
#                 as calls, an Euler–Maruyama kernel ran 4x slower
#   jit_call      large model functions: a call costs little next to their
#                 work, and inlining them into every stage costs compile time
#   jit_cold      the drivers and what they call once per particle: the
#                 compiled entry points, cached on disk, run without the
#                 GIL so that the Python driver can use threads (Numba's
#                 parallel=True cost seconds of compile time per kernel)
_FLAGS = dict(fastmath=FASTMATH, error_model="numpy")
jit = numba.njit(inline="always", **_FLAGS)
jit_call = numba.njit(**_FLAGS)
jit_cold = numba.njit(cache=CACHED, nogil=True, **_FLAGS)

# ---- random numbers ----------------------------------------------------------
# Each particle owns a xoshiro256++ stream (Blackman & Vigna 2019) seeded by
# splitmix64 from (seed, particle index): a run is bit-identical whatever
# the number of threads or chunks, and particle i of a small run equals
# particle i of a large one. Normals come from the ziggurat (Marsaglia &
# Tsang 2000, in Doornik's 2005 ZIGNOR form, 128 layers): one 64-bit draw
# for 99% of them, no log or sqrt.

_GOLDEN = uint64(0x9E3779B97F4A7C15)
_TO_UNIT = 2.0**-53


@jit
def _rotl(x, k):
    return (x << uint64(k)) | (x >> uint64(64 - k))


@jit
def _mix64(z):
    z = (z ^ (z >> uint64(30))) * uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> uint64(27))) * uint64(0x94D049BB133111EB)
    return z ^ (z >> uint64(31))


@jit
def seed_stream(seed, particle):
    """The stream of (seed, particle): four 64-bit words."""
    z = _mix64(uint64(seed) ^ _GOLDEN) ^ _mix64(uint64(particle) * _GOLDEN + uint64(0x2545F4914F6CDD1D))
    s0 = _mix64(z + _GOLDEN)
    s1 = _mix64(z + uint64(2) * _GOLDEN)
    s2 = _mix64(z + uint64(3) * _GOLDEN)
    s3 = _mix64(z + uint64(4) * _GOLDEN)
    return (s0, s1, s2, s3)


# Streams are tuples passed in and returned: values, not memory, so that
# the compiler keeps them in registers across a whole particle's run.


@jit
def next_u64(s):
    s0, s1, s2, s3 = s
    result = _rotl(s0 + s3, 23) + s0
    t = s1 << uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, 45)
    return result, (s0, s1, s2, s3)


@jit
def uniform(s):
    """Uniform on [0, 1) with 53 random bits, and the advanced stream."""
    bits, s = next_u64(s)
    # via int64: the top 53 bits fit, and int64 → double is one instruction
    return float(int64(bits >> uint64(11))) * _TO_UNIT, s


def _ziggurat_tables(layers=128, r=3.442619855899, v=9.91256303526217e-3):
    x = np.empty(layers + 1)
    f = math.exp(-0.5 * r * r)
    x[0], x[1], x[layers] = v / f, r, 0.0
    for i in range(2, layers):
        x[i] = math.sqrt(-2.0 * math.log(v / x[i - 1] + f))
        f = math.exp(-0.5 * x[i] * x[i])
    return x, x[1:] / x[:-1]


_ZIG_X, _ZIG_RATIO = _ziggurat_tables()
_ZIG_TAIL = 3.442619855899


@jit
def normal(s):
    """A standard normal draw, and the advanced stream. Inlined: only the
    draws inside the ziggurat's rectangles (99%); the rest are a call."""
    bits, s = next_u64(s)
    i = int(bits & uint64(127))
    u = 2.0 * float(int64(bits >> uint64(11))) * _TO_UNIT - 1.0
    if abs(u) < _ZIG_RATIO[i]:
        return u * _ZIG_X[i], s
    return _normal_outside(i, u, s)


@jit_call
def _normal_outside(i, u, s):
    """A draw that fell outside layer i's rectangle: the tail beyond r
    (Marsaglia 1964) for the base layer, else the wedge test, and on
    rejection a fresh draw, as normal() makes it. A call, not inlined:
    inlining this loop at every draw cost seconds of compile time."""
    while True:
        if i == 0:
            while True:
                a, s = uniform(s)
                b, s = uniform(s)
                a = math.log(1.0 - a) / _ZIG_TAIL
                b = math.log(1.0 - b)
                if -2.0 * b >= a * a:
                    return (a - _ZIG_TAIL if u < 0.0 else _ZIG_TAIL - a), s
        x = u * _ZIG_X[i]
        f0 = math.exp(-0.5 * (_ZIG_X[i] * _ZIG_X[i] - x * x))
        f1 = math.exp(-0.5 * (_ZIG_X[i + 1] * _ZIG_X[i + 1] - x * x))
        v, s = uniform(s)
        if f1 + v * (f0 - f1) < 1.0:
            return x, s
        bits, s = next_u64(s)
        i = int(bits & uint64(127))
        u = 2.0 * float(int64(bits >> uint64(11))) * _TO_UNIT - 1.0
        if abs(u) < _ZIG_RATIO[i]:
            return u * _ZIG_X[i], s


# ---- small dense linear algebra ----------------------------------------------


@jit
def solve(a, b, n):
    """Solve a x = b in place (x in b) by Gaussian elimination with partial
    pivoting; a is overwritten. For the small mass matrices of mechanics."""
    for k in range(n):
        pivot = k
        for i in range(k + 1, n):
            if abs(a[i, k]) > abs(a[pivot, k]):
                pivot = i
        if pivot != k:
            for j in range(n):
                a[k, j], a[pivot, j] = a[pivot, j], a[k, j]
            b[k], b[pivot] = b[pivot], b[k]
        for i in range(k + 1, n):
            factor = a[i, k] / a[k, k]
            for j in range(k, n):
                a[i, j] -= factor * a[k, j]
            b[i] -= factor * b[k]
    for k in range(n - 1, -1, -1):
        total = b[k]
        for j in range(k + 1, n):
            total -= a[k, j] * b[j]
        b[k] = total / a[k, k]


@jit_cold
def correlate(a, z, n):
    """z <- L z with L L^T = a (Cholesky, in place in a's lower triangle):
    a standard normal z becomes a draw of covariance a."""
    for j in range(n):
        total = a[j, j]
        for k in range(j):
            total -= a[j, k] * a[j, k]
        a[j, j] = math.sqrt(total)
        for i in range(j + 1, n):
            total = a[i, j]
            for k in range(j):
                total -= a[i, k] * a[j, k]
            a[i, j] = total / a[j, j]
    for i in range(n - 1, -1, -1):
        total = 0.0
        for k in range(i + 1):
            total += a[i, k] * z[k]
        z[i] = total
