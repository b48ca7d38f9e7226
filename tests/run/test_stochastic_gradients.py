"""Stochastic gradients: SGD at a constant step settles into the spread of
a Langevin dynamics (Mandt, Hoffman & Blei 2017), minibatches are
reproducible, and an energy that is no data sum is refused."""

import numpy as np
import pytest

import actionc
from actionc.cli import main
from tests.conftest import EXAMPLE_DIR

LINE = """model line "a line through data"
input x[n], y[n]
state w
energy = sum(i in 1..n: (y[i] - w*x[i])^2/2)
temperature = 1
"""


@pytest.fixture(scope="module")
def line(tmp_path_factory):
    path = tmp_path_factory.mktemp("line") / "line.act"
    path.write_text(LINE)
    rng = np.random.default_rng(5)
    x = rng.normal(size=1000) * (1 + 0.5 * rng.random(1000))
    y = 2 * x + rng.normal(size=1000) * (0.5 + np.abs(x))  # noise growing with |x|: a gradient noise to see
    return actionc.compile(path, "mala"), {"x": x, "y": y}


def _predicted_spread(x, y, batch: int, lr: float) -> float:
    """The stationary variance of w under SGD at a constant step: the
    recursion e ← (1 − lr Â) e − lr ĝ near w* (Mandt, Hoffman & Blei 2017,
    their Ornstein–Uhlenbeck process, kept discrete), with the batch
    estimates Â of A = Σx² and ĝ of the gradient at w* (mean 0) drawn
    without replacement: variances n²/B·s²·(n − B)/(n − 1); and the
    within-epoch anticorrelation of batches, −1/(K − 1) for K batches an
    epoch, which lowers the sum over a correlation time by the factor
    1 − (S₁²/S₂ − 1)/(K − 1), S_m = Σ_j (1 − lr A)^{mj}."""
    n = len(x)
    A = (x * x).sum()
    w_star = (x * y).sum() / A
    finite = (n - batch) / (n - 1)
    noise = n * n / batch * np.mean((x * (w_star * x - y)) ** 2) * finite
    curvature_noise = n * n / batch * np.var(x * x) * finite
    iid = lr * lr * noise / (2 * lr * A - lr * lr * (A * A + curvature_noise))
    a = 1 - lr * A
    s1, s2 = 1 / (1 - a), 1 / (1 - a * a)
    return iid * (1 - (s1 * s1 / s2 - 1) / (n / batch - 1))


def test_sgd_at_a_constant_step_spreads_as_its_langevin_dynamics_predicts(line):
    compiled, data = line
    A = (data["x"] ** 2).sum()
    lr, batch = 0.2 / A, 10
    w_star = (data["x"] * data["y"]).sum() / A
    result = compiled.optimize(
        "sgd", lr=lr, batch=batch, particles=200, max_iter=400, save_every=5, inputs=data, init={"w": w_star},
        hessian=False,
    )  # fmt: skip
    w = result.x[20:, :, 0]  # after 100 steps: (1 − lr A)^100 = 2e-10 of the start is left
    measured, predicted = w.var(), _predicted_spread(data["x"], data["y"], batch, lr)
    # 200 particles × 61 saves, neighbours correlated by 0.8^5: about 6000 independent draws, a
    # relative standard error of sqrt(2/6000) = 1.8% for the variance; 6% is 3 of them
    assert measured == pytest.approx(predicted, rel=0.06)
    # negative control: twice the batch halves the predicted spread, far outside the tolerance
    assert abs(measured / _predicted_spread(data["x"], data["y"], 2 * batch, lr) - 1) > 0.5
    assert abs(w.mean() - w_star) < 4 * np.sqrt(measured / 6000)  # unbiased: centred on the minimum


def test_minibatches_are_reproducible_and_sgd_without_batches_is_gradient_descent(line):
    compiled, data = line
    run = dict(lr=1e-4, particles=3, max_iter=50, inputs=data, init={"w": "normal(0, 1)"}, hessian=False)
    first = compiled.optimize("sgd", batch=7, seed=2, **run)
    assert np.array_equal(first.x, compiled.optimize("sgd", batch=7, seed=2, **run).x)
    assert not np.array_equal(first.x, compiled.optimize("sgd", batch=7, seed=3, **run).x)
    exact = compiled.optimize("sgd", **run)
    assert np.allclose(exact.x, compiled.optimize("gd", **run).x, rtol=1e-12, atol=0)


def test_batch_refuses_an_energy_that_is_not_a_sum_over_the_rows(tmp_path, line, capsys):
    _, data = line
    path = tmp_path / "mean.act"
    path.write_text(
        LINE.replace("energy = sum(i in 1..n: (y[i] - w*x[i])^2/2)", "energy = sum(i in 1..n: (y[i] - w*x[i])^2/2)/n")
    )
    np.savez(tmp_path / "data.npz", **data)
    argv = ["optimize", str(path), "--method", "sgd", "--lr", "1e-3", "--batch", "10"]
    argv += ["--input", f"x={tmp_path / 'data.npz'}", "--input", f"y={tmp_path / 'data.npz'}"]
    assert main(argv) == 2
    assert "sum over the data rows" in capsys.readouterr().err
    assert main(["optimize", str(EXAMPLE_DIR / "two_wells.act"), "--method", "sgd", "--lr", "0.1", "--batch", "2"]) == 2
    assert "needs a model with data" in capsys.readouterr().err
    assert main(["optimize", str(path), "--method", "lbfgs", "--batch", "10"]) == 2  # exact methods need ∇E


@pytest.mark.slow
def test_sgld_matches_mala_on_the_logistic_regression():
    compiled = actionc.compile(EXAMPLE_DIR / "logistic_regression.act", "mala")
    mala = compiled.run(dt=0.002, steps=100_000, particles=8, save_every=20, seed=1)  # about 40 s
    start = dict(zip(mala.names, compiled.optimize("newton").meta["optimize"]["minima"][0]["x"]))
    sgld = compiled.sgld(dt=0.002, steps=100_000, batch=128, particles=8, seed=1, init=start, save_every=20)  # ~60 s

    def moments(result):
        draws = result.x[len(result.x) // 10 :]
        flat = draws.reshape(-1, draws.shape[2])
        mcse = draws.mean(axis=0).std(axis=0, ddof=1) / np.sqrt(draws.shape[1])  # between the 8 chains
        return flat.mean(axis=0), flat.var(axis=0), mcse

    mean, var, error = moments(mala)
    sgld_mean, sgld_var, sgld_error = moments(sgld)
    sd = np.sqrt(var)
    # within Monte Carlo error (4 combined between-chain errors) plus 0.1 sd for SGLD's O(dt) and batch-noise bias
    # (measured: 0.31 sd at most, where the combined error reaches 0.15 sd)
    assert (np.abs(sgld_mean - mean) <= 4 * np.hypot(error, sgld_error) + 0.1 * sd).all()
    # variances: measured ratios 0.81–1.16 after 8 × 10^5 draws, whose effective sizes are a few hundred
    ratio = sgld_var / var
    assert 0.7 < ratio.min() and ratio.max() < 1.35, ratio
    assert 0.9 < np.median(ratio) < 1.1


@pytest.mark.parametrize(
    "method, options", [("momentum", dict(lr=1e-3)), ("nesterov", dict(lr=1e-3)), ("adam", dict(lr=1e-2))]
)
def test_momentum_nesterov_adam_with_one_batch_of_every_row_follow_the_exact_gradient(line, method, options):
    # a batch of all n rows, drawn without replacement, is the whole sum: ∇Ê = ∇E, so the path is the exact one
    compiled, data = line
    n = len(data["x"])
    run = dict(inputs=data, max_iter=40, save_every=10, tol=1e-300, hessian=False, **options)
    exact = compiled.optimize(method, **run)
    batched = compiled.optimize(method, batch=n, **run)
    assert np.allclose(batched.x, exact.x, rtol=1e-10, atol=1e-12)
    noisy = compiled.optimize(method, batch=10, **run)
    assert not np.allclose(noisy.x[-1], exact.x[-1], rtol=1e-6)  # the control: smaller batches are noisy
