"""Why the density operator is assembled by vectorized NumPy, not a Numba
kernel: where the time of `actionc density` goes, side by side in one run.

    python benchmarks/density_assembly.py [--cells 512]

The 2-D double well of examples/double_well.act on N² cells. Measured:
assembling L with NumPy (actionc.run.density.operator.assemble, warm), one
sparse LU of I − dt L, one implicit Euler step (two triangular solves); and
for the face coefficients α, β of the Gibbs scheme over N² faces — the
arithmetic a Numba assembly kernel would take over — NumPy against a Numba
loop, the Numba
time split into its first call (compilation) and a warm call. One run each,
wall-clock seconds (the machine is shared; no best-of).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numba
import numpy as np
import scipy.sparse as sparse

import actionc
from actionc.lower import lower
from actionc.run.density import discretize
from actionc.run.density.evolve import factorize
from actionc.run.density.operator import bernoulli

EXAMPLE = Path(__file__).parents[1] / "examples" / "double_well.act"


def numpy_faces(E, T, D, h):
    z = -(E[1:] - E[:-1]) / T
    return D / h * bernoulli(-z), D / h * bernoulli(z)


@numba.njit(cache=False)
def numba_faces(E, T, D, h):
    alpha, beta = np.empty(E.shape[0] - 1), np.empty(E.shape[0] - 1)
    for i in range(E.shape[0] - 1):
        z = -(E[i + 1] - E[i]) / T
        bm = 1.0 + z / 2 if abs(z) < 1e-8 else -z / np.expm1(-z)
        bp = 1.0 - z / 2 if abs(z) < 1e-8 else z / np.expm1(z)
        alpha[i], beta[i] = D / h * bm, D / h * bp
    return alpha, beta


def seconds(call):
    start = time.perf_counter()
    value = call()
    return time.perf_counter() - start, value


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cells", type=int, default=512)
    cells = parser.parse_args().cells
    problem = discretize(lower(actionc.load(str(EXAMPLE))), grid={"x": (-2.5, 2.5, cells), "y": (-2.5, 2.5, cells)})
    problem.operator()  # warm: the coefficient module is loaded
    assemble, L = seconds(problem.operator)
    lu_time, lu = seconds(lambda: factorize(sparse.identity(L.shape[0], format="csc") - 1e-3 * L))
    step, _ = seconds(lambda: lu.solve(problem.initial.ravel()))
    energy, temperature = problem.energy()
    h = problem.grid.axes[0].spacing
    faces_numpy, _ = seconds(lambda: numpy_faces(energy, temperature, temperature, h))
    first, _ = seconds(lambda: numba_faces(energy, temperature, temperature, h))
    warm, _ = seconds(lambda: numba_faces(energy, temperature, temperature, h))
    print(f"2-D double well, {cells}² cells: L has {L.nnz} non-zeros")
    print(f"  NumPy assembly of L            {assemble:8.3f} s")
    print(f"  sparse LU of I − dt L          {lu_time:8.3f} s  ({lu.L.nnz + lu.U.nnz} non-zeros in the factors)")
    print(f"  one implicit Euler step        {step:8.3f} s  (1000 steps: {1000 * step:.1f} s)")
    print(f"  face coefficients, NumPy       {faces_numpy:8.4f} s")
    print(f"  face coefficients, Numba first {first:8.4f} s  (compilation, every fresh process without a cache)")
    print(f"  face coefficients, Numba warm  {warm:8.4f} s  (NumPy / Numba warm: {faces_numpy / warm:.1f})")
    print(f"  assembly / (LU + 1000 steps)   {assemble / (lu_time + 1000 * step):8.4f}")


if __name__ == "__main__":
    main()
