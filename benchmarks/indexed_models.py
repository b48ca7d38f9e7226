"""Indexed models, side by side, in one run: compile time against the size,
the FPUT chain against hand-written Numba and C, the logistic-regression
gradient against NumPy, and MALA's scaling over threads.

    python benchmarks/indexed_models.py [--quick]

(a) cold compile (a fresh cache, a fresh process: import, parse, derive,
    generate, Numba) of examples/fput.act with N = 16 and N = 16384
(b) FPUT-β, N = 1024, leapfrog, 64 particles: actionc against a
    hand-written Numba loop (prange over particles) and C (gcc -O3
    -march=native -fopenmp), element-steps per second, all threads
(c) the gradient of the logistic-regression energy, n = 10^4 rows, d = 30,
    one evaluation at a time on one core, against NumPy's
    X.T @ (sigmoid(X w) − y) form (BLAS on one thread)
(d) MALA on examples/logistic_regression.act, 8 chains: 1 thread against all
(e) 10× more steps take 10× the time (no allocation in the step loop)

Each case checks that the implementations agree.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # NumPy's BLAS on one core: (c) compares one core with one core
os.environ.setdefault("OMP_NUM_THREADS", str(os.cpu_count()))

import argparse  # noqa: E402
import ctypes  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numba  # noqa: E402
import numpy as np  # noqa: E402

import actionc  # noqa: E402

HERE = Path(__file__).parent
EXAMPLES = HERE.parent / "examples"


def best_of(function, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def cold_compile(n: int) -> float:
    text = (EXAMPLES / "fput.act").read_text().replace("N = 32", f"N = {n}")
    folder = Path(tempfile.mkdtemp())
    (folder / "fput.act").write_text(text)
    script = (
        "import time; start = time.perf_counter(); import actionc; "
        f"c = actionc.compile({str(folder / 'fput.act')!r}, 'leapfrog'); "
        "c.run(dt=0.01, steps=1); print(time.perf_counter() - start)"
    )
    env = {**os.environ, "ACTIONC_CACHE_DIR": str(folder / "cache")}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    shutil.rmtree(folder, ignore_errors=True)
    return float(out.stdout.strip().splitlines()[-1])


@numba.njit(inline="always", fastmath={"contract", "nsz"})
def _force(q, f, k, beta):
    n = q.shape[0]
    for i in range(n):
        left = q[i - 1] if i > 0 else 0.0
        right = q[i + 1] if i < n - 1 else 0.0
        d1, d0 = right - q[i], q[i] - left
        f[i] = k * (d1 - d0) + beta * (d1 * d1 * d1 - d0 * d0 * d0)


@numba.njit(parallel=True, fastmath={"contract", "nsz"})
def numba_fput(state, steps, dt, k, beta):
    """The loop a Numba user writes: prange over particles, leapfrog KDK."""
    particles, n = state.shape[0], state.shape[1] // 2
    for p in numba.prange(particles):
        q, v = state[p, :n], state[p, n:]
        f = np.empty(n)
        _force(q, f, k, beta)
        for _ in range(steps):
            for i in range(n):
                v[i] += 0.5 * dt * f[i]
            for i in range(n):
                q[i] += dt * v[i]
            _force(q, f, k, beta)
            for i in range(n):
                v[i] += 0.5 * dt * f[i]


def build_c():
    if shutil.which("gcc") is None:
        return None
    library = Path(tempfile.mkdtemp()) / "c_fput.so"
    flags = ["-O3", "-march=native", "-fopenmp", "-shared", "-fPIC"]
    subprocess.run(["gcc", *flags, str(HERE / "c_fput.c"), "-o", str(library), "-lm"], check=True)
    c = ctypes.CDLL(str(library))
    double, long_ = ctypes.c_double, ctypes.c_long
    c.fput.argtypes = [ctypes.POINTER(double), long_, long_, long_, double, double, double]
    return c


def fput_case(quick: bool) -> list[tuple[str, float]]:
    n, particles, steps, dt = 1024, 64, (200 if quick else 2000), 0.01
    compiled = actionc.compile(EXAMPLES / "fput.act", "leapfrog")
    start = compiled.run(dt=dt, steps=1, particles=particles, save_every=1, params={"N": n}).x[0]

    def run_actionc():
        return compiled.run(
            dt=dt, steps=steps, particles=particles, save_every=steps, params={"N": n}, invariants=False
        )

    reference = run_actionc().x[-1]
    rows = [("actionc (leapfrog, loops)", particles * steps * n / best_of(run_actionc))]
    state = start.copy()
    numba_fput(state.copy(), 1, dt, 1.0, 1.0)  # compile

    def run_numba():
        state[:] = start
        numba_fput(state, steps, dt, 1.0, 1.0)

    rows.append(("Numba by hand (prange)", particles * steps * n / best_of(run_numba)))
    assert np.allclose(state, reference, rtol=0, atol=1e-9), "Numba and actionc disagree"
    c = build_c()
    if c is not None:
        buffer = np.empty_like(start)

        def run_c():
            buffer[:] = start
            c.fput(buffer.ctypes.data_as(ctypes.POINTER(ctypes.c_double)), particles, n, steps, dt, 1.0, 1.0)

        rows.append(("C by hand (gcc -O3 -march=native, OpenMP)", particles * steps * n / best_of(run_c)))
        assert np.allclose(buffer, reference, rtol=0, atol=1e-9), "C and actionc disagree"
    return rows


def logistic_case(quick: bool) -> list[tuple[str, float]]:
    rng = np.random.default_rng(0)
    n, d = 10_000, 30
    X = rng.standard_normal((n, d))
    w_true = rng.standard_normal(d) / 3
    y = np.where(rng.random(n) < 1 / (1 + np.exp(-X @ w_true)), 1.0, -1.0)
    compiled = actionc.compile(EXAMPLES / "logistic_regression.act", "mala")
    data, sizes = compiled.data({"X": X, "y": y})
    module = compiled.kernel.module
    p = np.array([sizes["n"], sizes["d"], 2.5])
    state = np.append(w_true, 0.1)
    out = np.empty(d + 1)
    evaluations = 200 if quick else 2000

    @numba.njit
    def many(state, p, data, out, count):
        for _ in range(count):
            module.grad_energy(state, 0.0, p, data, out)

    many(state, p, data, out, 1)

    def numpy_gradient():
        z = y * (X @ state[:d] + state[d])
        r = -y / (1 + np.exp(z))
        return np.append(X.T @ r + state[:d] / 2.5**2, r.sum() + state[d] / 2.5**2)

    np.testing.assert_allclose(out, numpy_gradient(), rtol=1e-10)
    ours = best_of(lambda: many(state, p, data, out, evaluations)) / evaluations
    theirs = best_of(lambda: [numpy_gradient() for _ in range(evaluations // 10)]) / (evaluations // 10)
    return [("actionc grad_energy (one core)", 1 / ours), ("NumPy X.T @ r form (BLAS, one thread)", 1 / theirs)]


def mala_scaling(quick: bool) -> list[tuple[str, float]]:
    compiled = actionc.compile(EXAMPLES / "logistic_regression.act", "mala")
    steps = 500 if quick else 4000
    rows = []
    for threads in sorted({1, os.cpu_count() or 1}):

        def run(threads=threads):
            return compiled.run(dt=0.002, steps=steps, particles=8, threads=threads, save_every=steps)

        seconds = best_of(run, repeats=2)
        rows.append((f"MALA, 8 chains, {threads} thread(s)", 8 * steps / seconds))
    return rows


def no_allocation(quick: bool) -> list[tuple[str, float]]:
    """Throughput at 1× and 10× the steps: equal if nothing is allocated per step."""
    compiled = actionc.compile(EXAMPLES / "fput.act", "leapfrog")
    base, n, particles = (1000 if quick else 4000), 1024, 8
    options = dict(dt=0.01, particles=particles, params={"N": n}, invariants=False)
    rows = []
    for steps in (base, 10 * base):
        seconds = best_of(lambda steps=steps: compiled.run(steps=steps, save_every=steps, **options))
        rows.append((f"{steps} steps", particles * n * steps / seconds))
    return rows


def table(title: str, rows, unit: str) -> None:
    print(f"\n{title}")
    first = rows[0][1]
    for name, value in rows:
        print(f"  {name:<46} {value:>14.4g} {unit}   {value / first:6.2f}× the first row")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    print(f"actionc {actionc.__version__}, numba {numba.__version__}, {os.cpu_count()} cores")
    table("(a) cold compile of fput.act, leapfrog", [(f"N = {n}", cold_compile(n)) for n in (16, 16384)], "s")
    table("(b) FPUT-β, N = 1024, leapfrog, 64 particles", fput_case(args.quick), "element-steps/s")
    table("(c) logistic-regression gradient, n = 10^4, d = 30", logistic_case(args.quick), "evaluations/s")
    table("(d) MALA on the breast-cancer posterior", mala_scaling(args.quick), "chain-steps/s")
    table(
        "(e) no allocation in the step loop (FPUT, N = 1024, 8 particles)", no_allocation(args.quick), "element-steps/s"
    )


if __name__ == "__main__":
    main()
