"""Ensemble throughput, side by side, in one process: actionc against a
hand-written C kernel (gcc -O3 -march=native -fopenmp, xoshiro256+ and a
ziggurat), a hand-written Numba kernel as a typical expert writes it
(np.random inside prange), and NumPy vectorized over particles.

    python benchmarks/ensemble_throughput.py [--quick] [--threads N]

(a) overdamped Langevin, 2-D double well, T = 0.5, dt = 1e-3, 1e5 × 1e3
(b) the same in the Müller–Brown potential (T = 10)
(c) double pendulum, RK4, dt = 1e-3, 1e4 × 1e4
(d) Hénon–Heiles, leapfrog, dt = 1e-2, 1e4 × 1e4
(e) latency of `actionc run`, cold (empty kernel cache) and warm: 10 steps of
    the double pendulum, the README's main job, chain6 with RK4; `python -c
    "import numba"` and `"import numpy"` as references; cold compile time
    against the number of state variables (n coupled Ornstein–Uhlenbeck SDEs)

Throughput is particle-steps per second; the best of three runs after a
warm-up. Each case also checks that the implementations agree (the
deterministic ones to 1e-9, the stochastic ones in their mean).
"""

from __future__ import annotations

import argparse
import ctypes
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numba
import numpy as np

import actionc

HERE = Path(__file__).parent
EXAMPLES = HERE.parent / "examples"


def best_of(function, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


# ---- C ----------------------------------------------------------------------


def build_c(threads: int):
    if shutil.which("gcc") is None:
        return None
    library = Path(tempfile.mkdtemp()) / "c_kernels.so"
    command = [
        "gcc",
        "-O3",
        "-march=native",
        "-fopenmp",
        "-shared",
        "-fPIC",
        str(HERE / "c_kernels.c"),
        "-o",
        str(library),
        "-lm",
    ]
    subprocess.run(command, check=True)
    os.environ["OMP_NUM_THREADS"] = str(threads)
    c = ctypes.CDLL(str(library))
    c.zig_init()
    double_p, long_, double, u64 = ctypes.POINTER(ctypes.c_double), ctypes.c_long, ctypes.c_double, ctypes.c_uint64
    for name in ("double_well", "muller_brown"):
        getattr(c, name).argtypes = [double_p, long_, long_, double, double, u64]
    c.double_pendulum.argtypes = [double_p, long_, long_, double, double]
    c.henon_heiles.argtypes = [double_p, long_, long_, double]
    return c


def pointer(array: np.ndarray):
    return array.ctypes.data_as(ctypes.POINTER(ctypes.c_double))


# ---- hand-written Numba, as an expert would write it --------------------------


@numba.njit(parallel=True, fastmath=True)
def numba_double_well(xy, steps, dt, T):
    noise = math.sqrt(2 * T * dt)
    for i in numba.prange(xy.shape[0]):
        x, y = xy[i, 0], xy[i, 1]
        for _ in range(steps):
            fx, fy = -4 * x * (x * x - 1), -y
            x += fx * dt + noise * np.random.standard_normal()
            y += fy * dt + noise * np.random.standard_normal()
        xy[i, 0], xy[i, 1] = x, y


MB = np.array(
    [
        [-200, -1, 0, -10, 1, 0],
        [-100, -1, 0, -10, 0, 0.5],
        [-170, -6.5, 11, -6.5, -0.5, 1.5],
        [15, 0.7, 0.6, 0.7, -1, 1],
    ],
    dtype=float,
)


@numba.njit(parallel=True, fastmath=True)
def numba_muller_brown(xy, steps, dt, T, P):
    noise = math.sqrt(2 * T * dt)
    for i in numba.prange(xy.shape[0]):
        x, y = xy[i, 0], xy[i, 1]
        for _ in range(steps):
            gx = gy = 0.0
            for j in range(4):
                dx, dy = x - P[j, 4], y - P[j, 5]
                e = P[j, 0] * math.exp(P[j, 1] * dx * dx + P[j, 2] * dx * dy + P[j, 3] * dy * dy)
                gx += e * (2 * P[j, 1] * dx + P[j, 2] * dy)
                gy += e * (P[j, 2] * dx + 2 * P[j, 3] * dy)
            x += -gx * dt + noise * np.random.standard_normal()
            y += -gy * dt + noise * np.random.standard_normal()
        xy[i, 0], xy[i, 1] = x, y


@numba.njit(inline="always")
def _dp_rhs(a, b, va, vb, g):
    d = a - b
    s, co, den = math.sin(d), math.cos(d), 3 - math.cos(2 * d)
    fa = (-3 * g * math.sin(a) - g * math.sin(a - 2 * b) - 2 * s * (vb * vb + va * va * co)) / den
    fb = 2 * s * (2 * va * va + 2 * g * math.cos(a) + vb * vb * co) / den
    return va, vb, fa, fb


@numba.njit(parallel=True, fastmath=True)
def numba_double_pendulum(u, steps, dt, g):
    for i in numba.prange(u.shape[0]):
        a, b, va, vb = u[i, 0], u[i, 1], u[i, 2], u[i, 3]
        for _ in range(steps):
            k1 = _dp_rhs(a, b, va, vb, g)
            k2 = _dp_rhs(a + 0.5 * dt * k1[0], b + 0.5 * dt * k1[1], va + 0.5 * dt * k1[2], vb + 0.5 * dt * k1[3], g)
            k3 = _dp_rhs(a + 0.5 * dt * k2[0], b + 0.5 * dt * k2[1], va + 0.5 * dt * k2[2], vb + 0.5 * dt * k2[3], g)
            k4 = _dp_rhs(a + dt * k3[0], b + dt * k3[1], va + dt * k3[2], vb + dt * k3[3], g)
            a += dt / 6 * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0])
            b += dt / 6 * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1])
            va += dt / 6 * (k1[2] + 2 * k2[2] + 2 * k3[2] + k4[2])
            vb += dt / 6 * (k1[3] + 2 * k2[3] + 2 * k3[3] + k4[3])
        u[i, 0], u[i, 1], u[i, 2], u[i, 3] = a, b, va, vb


@numba.njit(parallel=True, fastmath=True)
def numba_henon_heiles(u, steps, dt):
    for i in numba.prange(u.shape[0]):
        x, y, px, py = u[i, 0], u[i, 1], u[i, 2], u[i, 3]
        fx, fy = -x - 2 * x * y, -y - (x * x - y * y)
        for _ in range(steps):
            px += 0.5 * dt * fx
            py += 0.5 * dt * fy
            x += dt * px
            y += dt * py
            fx, fy = -x - 2 * x * y, -y - (x * x - y * y)
            px += 0.5 * dt * fx
            py += 0.5 * dt * fy
        u[i, 0], u[i, 1], u[i, 2], u[i, 3] = x, y, px, py


# ---- NumPy, vectorized over particles ------------------------------------------


def numpy_double_well(xy, steps, dt, T, rng):
    x, y = xy[:, 0].copy(), xy[:, 1].copy()
    noise = math.sqrt(2 * T * dt)
    for _ in range(steps):
        x, y = (
            x - 4 * x * (x * x - 1) * dt + noise * rng.standard_normal(x.size),
            y - y * dt + noise * rng.standard_normal(y.size),
        )
    xy[:, 0], xy[:, 1] = x, y


def numpy_muller_brown(xy, steps, dt, T, rng):
    x, y = xy[:, 0].copy(), xy[:, 1].copy()
    noise = math.sqrt(2 * T * dt)
    for _ in range(steps):
        gx, gy = np.zeros_like(x), np.zeros_like(y)
        for A, a, b, c, X, Y in MB:
            dx, dy = x - X, y - Y
            e = A * np.exp(a * dx * dx + b * dx * dy + c * dy * dy)
            gx += e * (2 * a * dx + b * dy)
            gy += e * (b * dx + 2 * c * dy)
        x, y = x - gx * dt + noise * rng.standard_normal(x.size), y - gy * dt + noise * rng.standard_normal(y.size)
    xy[:, 0], xy[:, 1] = x, y


def _np_dp(u, g):
    a, b, va, vb = u.T
    d = a - b
    s, co, den = np.sin(d), np.cos(d), 3 - np.cos(2 * d)
    fa = (-3 * g * np.sin(a) - g * np.sin(a - 2 * b) - 2 * s * (vb * vb + va * va * co)) / den
    fb = 2 * s * (2 * va * va + 2 * g * np.cos(a) + vb * vb * co) / den
    return np.stack([va, vb, fa, fb], axis=1)


def numpy_double_pendulum(u, steps, dt, g):
    for _ in range(steps):
        k1 = _np_dp(u, g)
        k2 = _np_dp(u + 0.5 * dt * k1, g)
        k3 = _np_dp(u + 0.5 * dt * k2, g)
        k4 = _np_dp(u + dt * k3, g)
        u += dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)


def numpy_henon_heiles(u, steps, dt):
    x, y, px, py = (u[:, j].copy() for j in range(4))
    fx, fy = -x - 2 * x * y, -y - (x * x - y * y)
    for _ in range(steps):
        px += 0.5 * dt * fx
        py += 0.5 * dt * fy
        x += dt * px
        y += dt * py
        fx, fy = -x - 2 * x * y, -y - (x * x - y * y)
        px += 0.5 * dt * fx
        py += 0.5 * dt * fy
    u[:, 0], u[:, 1], u[:, 2], u[:, 3] = x, y, px, py


# ---- the cases -------------------------------------------------------------------


def case(title, particles, steps, actionc_run, c_run, numba_run, numpy_run, numpy_steps, check):
    """Time each implementation; NumPy on fewer steps when it would take minutes."""
    work = particles * steps
    rows = [("actionc", work / best_of(actionc_run))]
    if c_run is not None:
        rows.append(("C (gcc -O3, OpenMP, ziggurat)", work / best_of(c_run)))
    rows.append(("Numba by hand (np.random)", work / best_of(numba_run)))
    rows.append((f"NumPy vectorized ({numpy_steps} steps)", particles * numpy_steps / best_of(numpy_run, 1)))
    print(f"\n{title}: {particles} particles × {steps} steps   [{check()}]")
    reference = dict(rows).get("C (gcc -O3, OpenMP, ziggurat)")
    for name, rate in rows:
        ratio = f"{rate / reference:5.2f}× C" if reference else ""
        print(f"  {name:<34} {rate:10.3g} particle-steps/s   {ratio}")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="10x smaller problems")
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    threads = args.threads
    numba.set_num_threads(threads)
    c = build_c(threads)
    rng = np.random.default_rng(0)
    print(
        f"ensemble throughput, {threads} thread(s); numba {numba.__version__}, numpy {np.__version__}, "
        f"actionc {actionc.__version__}"
    )

    # (a) and (b): overdamped Langevin
    for name, T, start, c_name, numba_f, numpy_f, extra in (
        ("double_well", 0.5, (-1.0, 0.0), "double_well", numba_double_well, numpy_double_well, ()),
        ("muller_brown", 10.0, (-0.56, 1.44), "muller_brown", numba_muller_brown, numpy_muller_brown, (MB,)),
    ):
        n, steps, dt = 100_000 // scale, 1000, 1e-3
        model = actionc.compile(EXAMPLES / f"{name}.act", "euler-maruyama")
        model.run(dt=dt, steps=10, particles=100, params={"T": T})
        xy = np.tile(start, (n, 1))
        numba_f(xy[:10].copy(), 10, dt, T, *extra)
        results = {}

        def run_actionc():
            results["actionc"] = model.run(
                dt=dt,
                steps=steps,
                particles=n,
                params={"T": T},
                init=dict(zip("xy", start)),
                save_every=steps,
                threads=threads,
                invariants=False,
            ).x[-1]

        def run_c():
            u = xy.copy()
            getattr(c, c_name)(pointer(u), n, steps, dt, T, 1)
            results["c"] = u

        def run_numba():
            u = xy.copy()
            numba_f(u, steps, dt, T, *extra)
            results["numba"] = u

        numpy_steps = steps // 10
        check = lambda: "means x: " + ", ".join(f"{k} {v[:, 0].mean():+.3f}" for k, v in results.items())  # noqa: E731
        case(
            f"({'a' if name == 'double_well' else 'b'}) overdamped Langevin, {name}",
            n,
            steps,
            run_actionc,
            run_c if c else None,
            run_numba,
            lambda: numpy_f(xy.copy(), numpy_steps, dt, T, rng),
            numpy_steps,
            check,
        )

    # (c) double pendulum, RK4; (d) Hénon–Heiles, leapfrog
    for name, method, dt, start in (
        ("double_pendulum", "rk4", 1e-3, (2.0, 2.5, 0.0, 0.0)),
        ("henon_heiles", "leapfrog", 1e-2, (0.1, 0.0, 0.0, 0.45)),
    ):
        n, steps = 10_000 // scale, 10_000
        model = actionc.compile(EXAMPLES / f"{name}.act", method)
        names = model.names
        model.run(dt=dt, steps=10, particles=10)
        u0 = np.tile(start, (n, 1)).astype(float)
        results = {}
        init_each = {k: float(v) for k, v in zip(names, start)}

        def run_actionc():
            results["actionc"] = model.run(
                dt=dt, steps=steps, particles=n, init=init_each, save_every=steps, threads=threads, invariants=False
            ).x[-1]

        def run_c():
            u = np.tile(start, (n, 1)).astype(float)
            if name == "double_pendulum":
                c.double_pendulum(pointer(u), n, steps, dt, 9.81)
            else:
                c.henon_heiles(pointer(u), n, steps, dt)
            results["c"] = u

        numba_f = numba_double_pendulum if name == "double_pendulum" else numba_henon_heiles
        numba_args = (dt, 9.81) if name == "double_pendulum" else (dt,)
        numba_f(u0[:2].copy(), 10, *numba_args)

        def run_numba():
            u = np.tile(start, (n, 1)).astype(float)
            numba_f(u, steps, *numba_args)
            results["numba"] = u

        numpy_f = numpy_double_pendulum if name == "double_pendulum" else numpy_henon_heiles
        numpy_steps = steps // 10

        def check():
            spread = max(np.abs(v - results["actionc"]).max() for v in results.values())
            return f"max |difference| between implementations {spread:.1e}"

        case(
            f"({'c' if name == 'double_pendulum' else 'd'}) {name}, {method}, dt = {dt:g}",
            n,
            steps,
            run_actionc,
            run_c if c else None,
            run_numba,
            lambda: numpy_f(u0.copy(), numpy_steps, *numba_args),
            numpy_steps,
            check,
        )

    # (e) latency of the command line, and compile time against model size
    latency(quick=args.quick)
    print(f"\n(python {' '.join(sys.argv)})")


# ---- (e) latency ----------------------------------------------------------------


def coupled_ou(n: int) -> str:
    """n Ornstein–Uhlenbeck processes, each nudged by its neighbour: a scalar model of n states and n noises."""
    names = ", ".join(f"x{i}" for i in range(1, n + 1))
    lines = [f"model ou{n}", "param k = 1, c = 0.1, sigma = 0.3", f"state {names}"]
    lines += [f"dx{i} = (-k*x{i} + c*sin(x{i % n + 1})) dt + sigma dW{i}" for i in range(1, n + 1)]
    return "\n".join(lines) + "\n"


NUMBA_IMPORT, NUMPY_IMPORT = "python -c 'import numba'", "python -c 'import numpy'"


def latency(quick: bool) -> None:
    """Each command in a fresh process: cold with an empty kernel cache, then warm (best of 5).
    Python may write bytecode for actionc (as an installed package has it)."""
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

    def timed(argv, cache, repeats=1):
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            subprocess.run(argv, env={**environment, "ACTIONC_CACHE_DIR": cache}, check=True, capture_output=True)
            times.append(time.perf_counter() - start)
        return min(times)

    actionc_run = [sys.executable, "-m", "actionc.cli", "run"]
    jobs = [
        ("double pendulum, 10 steps", [str(EXAMPLES / "double_pendulum.act"), "--dt", "1e-3", "--steps", "10"]),
        (
            "README: double well, 1e5 × 2000",
            [str(EXAMPLES / "double_well.act"), "--dt", "1e-3", "--steps", "2000", "--particles", "100000"],
        ),
        ("chain6, RK4, 10 steps", [str(EXAMPLES / "chain6.act"), "--method", "rk4", "--dt", "1e-3", "--steps", "10"]),
    ]
    with tempfile.TemporaryDirectory() as scratch:
        timed(actionc_run + jobs[0][1], scratch)  # bytecode for actionc's own modules, written once
        numba_import = timed([sys.executable, "-c", "import numba"], scratch, 5)
        numpy_import = timed([sys.executable, "-c", "import numpy"], scratch, 5)
    print("\n(e) latency of `actionc run` (each a fresh process; cold: empty kernel cache)")
    print(f"  {NUMBA_IMPORT:<34} {numba_import:6.2f} s")
    print(f"  {NUMPY_IMPORT:<34} {numpy_import:6.2f} s   = {numpy_import / numba_import:.2f}× import numba")
    for title, argv in jobs:
        with tempfile.TemporaryDirectory() as cache:
            cold = timed(actionc_run + argv, cache)
            warm = timed(actionc_run + argv, cache, 5)
        print(f"  {title:<34} cold {cold:6.2f} s   warm {warm:6.2f} s   = {warm / numba_import:.2f}× import numba")
    print("  targets: warm double pendulum ≤ 0.5× import numba; cold ≤ 2.5 s; chain6 RK4 cold ≤ 5 s")

    print("\n  cold compile time against model size (n coupled Ornstein–Uhlenbeck SDEs, Euler–Maruyama, 10 steps)")
    with tempfile.TemporaryDirectory() as folder:
        for n in (2, 8, 32) if quick else (2, 8, 16, 32, 64, 128):
            model = Path(folder) / f"ou{n}.act"
            model.write_text(coupled_ou(n))
            with tempfile.TemporaryDirectory() as cache:
                cold = timed(actionc_run + [str(model), "--dt", "0.01", "--steps", "10"], cache)
            print(f"  n = {n:<4} {cold:7.2f} s")


if __name__ == "__main__":
    main()
