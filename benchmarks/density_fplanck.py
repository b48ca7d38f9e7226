"""actionc density against fplanck (Holubec, Kroy & Steffenoni 2019 scheme),
side by side in one process, on the same problem and grid:

    python benchmarks/density_fplanck.py [--cells 512] [--steps 1000]

The 2-D double well of examples/double_well.act (E = (x² − 1)² + y²/2,
T = 0.5, γ = 1) on [−2.5, 2.5]² with N² cells (fplanck's nodes are our cell
centres), reflecting walls, from a Gaussian at (−1, 0) of std 0.2, to t = 1
in `steps` steps.

- actionc: from the .act file — parsing, lowering, code generation,
  assembly, one sparse LU, `steps` implicit Euler steps (save every 100th).
- fplanck: its constructor (potential given as a NumPy function, the
  operator assembled in Python) and `propagate_interval(…, Nsteps=steps)`,
  its time stepping (Krylov exponential, SciPy's expm_multiply, at every
  step: exact in time, so more work per step than one implicit solve).

One run each (the machine is shared; no best-of), wall-clock seconds. Both
densities at t = 1 are compared with each other: they differ by implicit
Euler's O(dt) and the two schemes' O(h²), not more. fplanck needs
`pip install fplanck` (benchmark only); on NumPy 2 its `np.product` is
aliased to `np.prod` here.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import actionc
from actionc.lower import lower
from actionc.run.density import solve

EXAMPLE = Path(__file__).parents[1] / "examples" / "double_well.act"
T, HALF_WIDTH = 0.5, 2.5


def energy(x, y):
    return (x**2 - 1) ** 2 + y**2 / 2


def initial(x, y):
    return np.exp(-((x + 1) ** 2 + y**2) / (2 * 0.2**2))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cells", type=int, default=512)
    parser.add_argument("--steps", type=int, default=1000)
    args = parser.parse_args()
    n, steps = args.cells, args.steps
    h = 2 * HALF_WIDTH / n
    centres = -HALF_WIDTH + (np.arange(n) + 0.5) * h
    X, Y = np.meshgrid(centres, centres, indexing="ij")

    start = time.perf_counter()
    ours = solve(
        lower(actionc.load(str(EXAMPLE))),
        grid=f"x={-HALF_WIDTH}:{HALF_WIDTH}:{n},y={-HALF_WIDTH}:{HALF_WIDTH}:{n}",
        params={"T": T},
        initial=initial(X, Y),
        t_end=1.0,
        dt=1.0 / steps,
        save_every=steps // 10,
    )
    actionc_seconds = time.perf_counter() - start

    import fplanck
    from scipy import constants

    if not hasattr(np, "product"):  # fplanck 0.2 calls np.product, removed in NumPy 2
        np.product = np.prod
    start = time.perf_counter()
    solver = fplanck.fokker_planck(
        temperature=T / constants.k,  # fplanck's k_B T in SI units: T / k_B gives k_B T = 0.5
        drag=1.0,
        extent=[2 * HALF_WIDTH, 2 * HALF_WIDTH],
        resolution=h,
        potential=energy,
        boundary=fplanck.boundary.reflecting,
    )
    built = time.perf_counter()
    _, theirs = solver.propagate_interval(initial, 1.0, Nsteps=steps)
    fplanck_seconds = time.perf_counter() - start
    assert solver.master_matrix.shape == (n * n, n * n) and np.allclose(solver.axes[0], centres)

    theirs_final = theirs[-1] / h**2  # fplanck normalizes Σ p = 1; ours Σ p h² = 1
    ours_final = ours.p[-1]
    difference = np.abs(theirs_final - ours_final).sum() * h**2
    print(f"2-D double well, T = {T}, {n}² cells, {steps} steps to t = 1")
    print(f"  actionc density  {actionc_seconds:8.2f} s   (model → operator → LU → steps, all included)")
    print(
        f"  fplanck          {fplanck_seconds:8.2f} s   (constructor {built - start:.2f} s, "
        f"propagate_interval {fplanck_seconds - (built - start):.2f} s)"
    )
    print(f"  ratio fplanck / actionc: {fplanck_seconds / actionc_seconds:.2f}")
    print(
        f"  L1 distance of the two densities at t = 1: {difference:.2e}; "
        f"mass actionc {ours.mass()[-1]:.15f}, fplanck {theirs[-1].sum():.15f}; "
        f"min p actionc {ours_final.min():.2e}, fplanck {theirs_final.min():.2e}"
    )


if __name__ == "__main__":
    main()
