"""actionc optimize on the logistic regression, n = 10^4 rows, d = 30, side
by side with SciPy and a hand-written NumPy loop, in one run.

    python benchmarks/optimize_logistic.py

(a) wall time to ‖∇E‖₂ ≤ 1e-6 from w = 0: actionc's lbfgs and newton
    against scipy.optimize.minimize(method="L-BFGS-B") given a hand-written
    NumPy energy and gradient (jac=True: one pass for both); SciPy's gtol is
    on the largest component, so it gets 1e-6/sqrt(31), and ftol = 0 so
    that only the gradient stops it. Each reports its iterations and the
    gradient norm it stopped at, computed by one NumPy function for all.
(b) iterations per second of gradient descent with a fixed step (the same
    step and iterations): actionc's gd against the same loop in NumPy.

The energy is examples/logistic_regression.act's (Gaussian priors of scale
2.5) on synthetic data drawn once from a fixed seed. Everything runs on one
core (BLAS on one thread, actionc's evaluation one particle): the best of 3.
The kernel is compiled before the clock starts.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one core against one core
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import scipy  # noqa: E402
from scipy.optimize import minimize  # noqa: E402

import actionc  # noqa: E402

EXAMPLE = Path(__file__).parent.parent / "examples" / "logistic_regression.act"
ROWS, FEATURES, SCALE, TOL = 10_000, 30, 2.5, 1e-6


def data(seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Correlated features and labels from a logistic model (not separable)."""
    rng = np.random.default_rng(seed)
    mixing = rng.normal(size=(FEATURES, FEATURES)) / np.sqrt(FEATURES)
    X = rng.normal(size=(ROWS, FEATURES)) @ (np.eye(FEATURES) + 0.5 * mixing)
    w = rng.normal(size=FEATURES)
    y = np.where(rng.random(ROWS) < 1 / (1 + np.exp(-(X @ w + 0.3))), 1.0, -1.0)
    return X, y


def numpy_energy_and_gradient(X, y):
    """E = Σ log(1 + exp(−y (X w + b))) + |w|²/2s² + b²/2s², by hand."""

    def both(theta):
        w, b = theta[:-1], theta[-1]
        margin = y * (X @ w + b)
        energy = np.logaddexp(0.0, -margin).sum() + (w @ w + b * b) / (2 * SCALE**2)
        r = -y / (1 + np.exp(margin))  # ∂/∂(Xw + b) of each row's loss
        gradient = np.empty_like(theta)
        gradient[:-1] = X.T @ r + w / SCALE**2
        gradient[-1] = r.sum() + b / SCALE**2
        return energy, gradient

    return both


def best_of(function, repeats: int = 3):
    times, value = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        value = function()
        times.append(time.perf_counter() - start)
    return min(times), value


def main() -> None:
    X, y = data()
    both = numpy_energy_and_gradient(X, y)
    norm = lambda theta: float(np.linalg.norm(both(theta)[1]))  # noqa: E731
    compiled = actionc.compile(EXAMPLE, "mala")
    inputs = {"X": X, "y": y}
    compiled.optimize("lbfgs", inputs=inputs, max_iter=2, hessian=False)  # compile before the clock

    print(
        f"logistic regression, n = {ROWS}, d = {FEATURES}, one core; NumPy {np.__version__}, SciPy {scipy.__version__}"
    )
    print(f"(a) wall time to ‖∇E‖₂ ≤ {TOL:g} from w = 0")
    rows, ends = [], {}
    for method in ("lbfgs", "newton"):
        seconds, result = best_of(lambda m=method: compiled.optimize(m, inputs=inputs, tol=TOL, hessian=False))
        theta = result.x[-1, 0]
        rows.append((f"actionc {method}", seconds, result.meta["optimize"]["iterations"][0], norm(theta)))
        ends[method] = theta
    gtol = TOL / np.sqrt(FEATURES + 1)
    options = {"gtol": gtol, "ftol": 0.0, "maxiter": 10_000, "maxcor": 10}
    seconds, found = best_of(
        lambda: minimize(both, np.zeros(FEATURES + 1), jac=True, method="L-BFGS-B", options=options)
    )
    rows.append(("scipy L-BFGS-B (NumPy gradient)", seconds, found.nit, norm(found.x)))
    reference, reached = seconds, norm(found.x)
    if reached > TOL:  # SciPy stopped short: actionc to the same norm, too
        seconds, result = best_of(lambda: compiled.optimize("lbfgs", inputs=inputs, tol=reached, hessian=False))
        theta = result.x[-1, 0]
        rows.append(
            (f"actionc lbfgs to SciPy's {reached:.1e}", seconds, result.meta["optimize"]["iterations"][0], norm(theta))
        )
        print(f"  SciPy stops short of {TOL:g}: {found.message}")
    for name, seconds, iterations, gradient_norm in rows:
        print(
            f"  {name:<34} {seconds * 1e3:8.1f} ms  {iterations:5d} iterations  ‖∇E‖ {gradient_norm:.2e}"
            f"  {reference / seconds:5.2f}× SciPy's speed"
        )
    print(f"  the end points agree: |lbfgs − SciPy| ≤ {np.abs(ends['lbfgs'] - found.x).max():.1e}")

    print("(b) gradient descent, a fixed step, 2000 iterations (iterations per second)")
    lr, steps = 1e-4, 2000

    def gradient(theta):  # the gradient alone, as gradient descent needs
        r = -y / (1 + np.exp(y * (X @ theta[:-1] + theta[-1])))
        return np.append(X.T @ r, r.sum()) + theta / SCALE**2

    def numpy_gd():
        theta = np.zeros(FEATURES + 1)
        for _ in range(steps):
            theta -= lr * gradient(theta)
        return theta

    numpy_seconds, theta = best_of(numpy_gd)
    ours_seconds, result = best_of(
        lambda: compiled.optimize(
            "gd", inputs=inputs, lr=lr, tol=1e-300, max_iter=steps, hessian=False, save_every=steps
        )
    )
    agree = np.abs(result.x[-1, 0] - theta).max()
    print(f"  actionc gd      {steps / ours_seconds:10.0f} it/s")
    ratio = numpy_seconds / ours_seconds
    print(f"  NumPy loop      {steps / numpy_seconds:10.0f} it/s   (actionc/NumPy {ratio:.2f}; agree to {agree:.0e})")


if __name__ == "__main__":
    main()
