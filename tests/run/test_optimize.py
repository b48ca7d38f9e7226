"""Optimizers as discretized flows: their rates on problems where the
textbooks give them, their minima against independent answers, and the
minima's Laplace approximation."""

import math

import numpy as np
import pytest

import actionc
from actionc.cli import main
from tests.conftest import EXAMPLE_DIR

KAPPA = 50.0  # condition number of the quadratic: curvatures 1 and KAPPA


def _model(tmp_path, name: str, text: str):
    path = tmp_path / f"{name}.act"
    path.write_text(text)
    return actionc.compile(path)


@pytest.fixture(scope="module")
def quadratic(tmp_path_factory):
    text = f'model quadratic "curvatures 1 and {KAPPA:g}"\nstate x, y\nenergy = x^2/2 + {KAPPA:g}*y^2/2\n'
    text += "temperature = 1\ninit x = 1, y = 1\n"
    return _model(tmp_path_factory.mktemp("quadratic"), "quadratic", text)


def _contraction(result, first: int, last: int) -> float:
    """The measured contraction per iteration of |x − x*| (x* = 0) between two iterations."""
    distance = np.linalg.norm(result.x[:, 0], axis=1)
    return (distance[last] / distance[first]) ** (1.0 / (last - first))


def test_gradient_descent_contracts_by_one_minus_one_over_kappa_at_step_one_over_L(quadratic):
    # Euler steps of x' = −∇E: mode λ contracts by 1 − lr·λ; at lr = 1/L the slowest is 1 − 1/κ
    result = quadratic.optimize("gd", lr=1 / KAPPA, tol=1e-300, max_iter=400)
    measured = _contraction(result, 200, 400)
    assert measured == pytest.approx(1 - 1 / KAPPA, rel=1e-9)
    # the optimal step 2/(L + μ) contracts both modes by (κ − 1)/(κ + 1)
    optimal = quadratic.optimize("gd", lr=2 / (KAPPA + 1), tol=1e-300, max_iter=400)
    assert _contraction(optimal, 200, 400) == pytest.approx((KAPPA - 1) / (KAPPA + 1), rel=1e-9)
    # negative control: the two rates differ by more than the tolerance
    assert abs(measured - (KAPPA - 1) / (KAPPA + 1)) > 1e-3


def test_heavy_ball_with_optimal_momentum_contracts_by_sqrt_kappa_rate(quadratic):
    # Polyak (1964): lr = 4/(√L + √μ)², β = ((√κ − 1)/(√κ + 1))² gives the rate (√κ − 1)/(√κ + 1)
    root = math.sqrt(KAPPA)
    rate = (root - 1) / (root + 1)
    result = quadratic.optimize("momentum", lr=4 / (root + 1) ** 2, momentum=rate**2, tol=1e-300, max_iter=400)
    # both modes sit on a double root: |x_k| ~ k ρ^k, a factor (400/200)^(1/200) = 1.0035 over the window
    assert _contraction(result, 200, 400) == pytest.approx(rate, rel=0.01)
    assert rate < (KAPPA - 1) / (KAPPA + 1) - 0.1  # faster than gradient descent's best, by far


def _slope(result, energy_star: float, first: int, last: int) -> float:
    energy = np.array(result.meta["optimize"]["path_energy"])[:, 0]
    k = result.t[first : last + 1]
    return np.polyfit(np.log(k), np.log(energy[first : last + 1] - energy_star), 1)[0]


def test_nesterov_decays_at_least_as_one_over_k_squared_where_gradient_descent_does_not(tmp_path):
    # convex, not strongly convex: curvatures (i/m)² reach down to 0 as m grows
    text = 'model spread "curvatures (i/m)^2"\nparam m = 50\nstate x[1..m]\n'
    text += "energy = sum(i in 1..m: (i/m)^2*x[i]^2/2)\ninit x[i] = 1\n"
    (tmp_path / "spread.act").write_text(text)
    compiled = actionc.compile(tmp_path / "spread.act", "mala")  # the Gibbs sampler's kernel carries T
    nesterov = compiled.optimize("nesterov", lr=1.0, tol=1e-300, max_iter=1000, hessian=False)
    slope = _slope(nesterov, 0.0, 100, 1000)
    assert slope < -2.0, slope  # Su, Boyd & Candès (2016), Theorem 6: E(x_k) − E* ≤ 2|x₀ − x*|²/(s (k + 1)²)
    energy = np.array(nesterov.meta["optimize"]["path_energy"])[1:, 0]
    bound = 2 * 50 / (1.0 * (nesterov.t[1:] + 1) ** 2)
    assert (energy <= bound).all()
    # negative control: gradient descent on the same problem decays as about 1/k^1.5
    gd = compiled.optimize("gd", lr=1.0, tol=1e-300, max_iter=1000, hessian=False)
    assert _slope(gd, 0.0, 100, 1000) > -1.7


ROSENBROCK = """model rosenbrock "Rosenbrock's valley"
state x, y
energy = (1 - x)^2 + 100*(y - x^2)^2
temperature = 1
init x = -1.2, y = 1
"""


@pytest.mark.parametrize(
    "method, options, accuracy",
    [("newton", {}, 1e-8), ("lbfgs", {}, 1e-6), ("adam", {"lr": 0.01, "max_iter": 20_000, "tol": 1e-5}, 1e-3)],
)
def test_rosenbrock_minimum_at_one_one(tmp_path, method, options, accuracy):
    compiled = _model(tmp_path, "rosenbrock", ROSENBROCK)
    result = compiled.optimize(method, **options)
    (found,) = result.meta["optimize"]["minima"]
    assert found["x"] == pytest.approx([1.0, 1.0], abs=accuracy)
    assert found["kind"] == "minimum"
    # the exact Hessian at (1, 1): [[802, −400], [−400, 200]]
    assert found["eigenvalues"] == pytest.approx(np.linalg.eigvalsh([[802, -400], [-400, 200]]), rel=10 * accuracy)


def _irls(X: np.ndarray, y: np.ndarray, scale: float) -> np.ndarray:
    """The MAP of logistic regression with N(0, scale²) priors by iteratively
    reweighted least squares, in NumPy: independent of actionc's derivations."""
    A = np.hstack([X, np.ones((len(X), 1))])  # weights, then the intercept b
    t = (y + 1) / 2  # labels ±1 as 0/1
    beta = np.zeros(A.shape[1])
    for _ in range(100):
        mu = 1 / (1 + np.exp(-A @ beta))
        W = mu * (1 - mu)
        H = A.T @ (W[:, None] * A) + np.eye(A.shape[1]) / scale**2
        step = np.linalg.solve(H, A.T @ (t - mu) - beta / scale**2)
        beta += step
        if np.abs(step).max() < 1e-14:
            break
    return beta


@pytest.fixture(scope="module")
def logistic():
    return actionc.compile(EXAMPLE_DIR / "logistic_regression.act", "mala")


@pytest.mark.parametrize("method", ["newton", "lbfgs"])
def test_logistic_regression_map_equals_numpy_irls(logistic, method):
    data = np.genfromtxt(EXAMPLE_DIR / "data" / "breast_cancer.csv", delimiter=",", names=True)
    columns = data.dtype.names
    X = np.column_stack([data[c] for c in columns if c != "y"])
    expected = _irls(X, data["y"], scale=2.5)
    result = logistic.optimize(method, tol=1e-9)
    (found,) = result.meta["optimize"]["minima"]
    assert np.abs(np.array(found["x"]) - expected).max() < 1e-6
    assert found["kind"] == "minimum"
    # the Laplace covariance T·H⁻¹ against IRLS's own Hessian at the MAP
    A = np.hstack([X, np.ones((len(X), 1))])
    mu = 1 / (1 + np.exp(-A @ expected))
    H = A.T @ ((mu * (1 - mu))[:, None] * A) + np.eye(A.shape[1]) / 2.5**2
    assert np.array(found["laplace_covariance"]) == pytest.approx(np.linalg.inv(H), rel=1e-5, abs=1e-8)


def test_starts_are_grouped_into_the_two_wells_with_their_laplace_covariance():
    compiled = actionc.compile(EXAMPLE_DIR / "double_well.act")  # (x² − 1)² + y²/2 at T = 0.5
    result = compiled.optimize("newton", particles=12, init={"x": "uniform(-2, 2)"}, seed=3)
    minima = result.meta["optimize"]["minima"]
    assert sorted(round(m["x"][0], 9) for m in minima) == [-1.0, 1.0]
    assert sum(m["count"] for m in minima) == 12
    for found in minima:  # H = diag(8, 1): the Laplace covariance T·H⁻¹ = diag(1/16, 1/2)
        assert found["eigenvalues"] == pytest.approx([1.0, 8.0])
        assert np.array(found["laplace_covariance"]) == pytest.approx(np.diag([1 / 16, 1 / 2]))


def test_the_path_is_saved_and_plotted_on_the_landscape(tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "path.npz"
    argv = ["optimize", str(EXAMPLE_DIR / "two_wells.act"), "--particles", "4", "--method", "gd", "--out", str(out)]
    assert main(argv) == 0
    result = actionc.Result.load(out)
    assert result.meta["command"] == "optimize" and result.x.shape[1:] == (4, 2)
    assert main(["plot", str(out), "--out", str(tmp_path / "landscape.png")]) == 0
    assert (tmp_path / "landscape.png").stat().st_size > 0


@pytest.mark.parametrize(
    "argv, words",
    [
        (["pendulum.act"], "need an energy model"),
        (["ornstein_uhlenbeck.act"], "or a model with a density"),
        (["double_well.act", "--method", "momentum"], "needs a step size"),
        (["double_well.act", "--set", "nope=1"], "unknown parameter"),
        (["double_well.act", "--momentum", "1.5", "--method", "adam"], "--momentum must be"),
    ],
)
def test_bad_requests_are_refused_with_a_reason(argv, words, capsys):
    assert main(["optimize", str(EXAMPLE_DIR / argv[0]), *argv[1:]]) == 2
    assert words in capsys.readouterr().err


def test_laplace_evidences_of_the_two_wells_give_their_weights():
    # the two wells of examples/two_wells.act, 16 T deep: each nearly Gaussian, so Laplace's log Z of each is
    # close to the integral of exp(−E) over its half plane (here by a 3001² grid: error far below 1e-6)
    x, y = np.linspace(-6, 6, 3001), np.linspace(-12, 12, 3001)
    X, Y = np.meshgrid(x, y, indexing="ij")
    density = np.exp(-(16 * ((X / 2) ** 2 - 1) ** 2 + X / 4 + (Y - X / 2) ** 2 / 2))
    cell = (x[1] - x[0]) * (y[1] - y[0])
    exact = {-1: np.log(density[x < 0].sum() * cell), 1: np.log(density[x >= 0].sum() * cell)}
    result = actionc.compile(EXAMPLE_DIR / "two_wells.act").optimize("newton", particles=8, seed=1)
    found = {int(np.sign(m["x"][0])): m["laplace_log_evidence"] for m in result.meta["optimize"]["minima"]}
    for side in (-1, 1):
        assert found[side] == pytest.approx(exact[side], abs=0.02)  # measured 0.012 and 0.013: the quartic's share
    weight = 1 / (1 + np.exp(found[1] - found[-1]))
    assert weight == pytest.approx(1 / (1 + np.exp(exact[1] - exact[-1])), abs=0.002)  # 0.729 against 0.7286


def test_rows_on_threads_give_the_same_bits(logistic, monkeypatch):
    from actionc.run import evaluate

    data, sizes = logistic.data()
    problem = evaluate.objective(logistic, {**logistic.params, **sizes}, data, [f"v{k}" for k in range(31)])
    x = np.random.default_rng(0).normal(scale=0.3, size=(64, 31))
    threaded = problem.gradient(x), problem.energy(x)
    monkeypatch.setattr(evaluate, "ROWS_PER_THREAD", 10**9)  # one block, on the calling thread
    assert np.array_equal(threaded[0], problem.gradient(x)) and np.array_equal(threaded[1], problem.energy(x))


def test_energy_and_gradient_in_one_pass_equal_them_apart(logistic):
    from actionc.run import evaluate

    data, sizes = logistic.data()
    problem = evaluate.objective(logistic, {**logistic.params, **sizes}, data, [f"v{k}" for k in range(31)])
    x = np.random.default_rng(1).normal(scale=0.3, size=(8, 31))
    energy, gradient = problem.energy_and_gradient(x)
    assert np.allclose(energy, problem.energy(x), rtol=1e-12) and np.allclose(gradient, problem.gradient(x), rtol=1e-12)


def test_the_modes_of_a_diffusion_models_data_are_its_minima(capsys):
    # −log p at the model's time 0 (the reverse sampler's kernel carries log p and the score): the eight
    # Gaussians of the ring are eight minima at radius r, each with sd s and Laplace weight 1/8
    assert main(["optimize", str(EXAMPLE_DIR / "gaussian_ring.act"), "--particles", "16"]) == 0
    assert "Laplace log Z ≈ -2.07944" in capsys.readouterr().out  # the CLI takes the reverse sampler's kernel
    compiled = actionc.compile(EXAMPLE_DIR / "gaussian_ring.act", "reverse-em")
    result = compiled.optimize("lbfgs", particles=64, seed=1)
    minima = result.meta["optimize"]["minima"]
    assert len(minima) == 8
    for found in minima:
        assert np.hypot(*found["x"]) == pytest.approx(4.0, abs=1e-6)
        assert np.sqrt(np.diag(found["laplace_covariance"])) == pytest.approx([0.3, 0.3], rel=1e-4)
        assert found["laplace_log_evidence"] == pytest.approx(math.log(1 / 8), abs=1e-4)
    eighths = np.array([np.arctan2(f["x"][1], f["x"][0]) / (np.pi / 4) for f in minima])  # k·π/4, k = 0 … 7
    assert np.allclose(eighths, np.round(eighths), atol=1e-6) and len(set(np.round(eighths) % 8)) == 8
