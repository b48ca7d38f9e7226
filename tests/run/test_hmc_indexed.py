"""HMC and NUTS on indexed models (arrays): the scalar samplers' draws over
the particle's arrays. Checked on a banded Gaussian written with an array
(mean and covariance within the Monte Carlo error of the runs' own ESS),
on the lattice's Gibbs marginal (quadrature), on the logistic posterior
(against importance sampling in NumPy), and for bit-reproducibility.
Each tolerance has a negative control."""

import numpy as np
import pytest

import actionc
from actionc.pipeline import compile_text
from actionc.run import diagnostics
from tests.conftest import EXAMPLE_DIR
from tests.run.test_hmc import moment_z_scores
from tests.test_indexed import _breast_cancer, _newton_map, lattice_expectation

BANDED = """model banded_gaussian "a correlated Gaussian with a tridiagonal precision"
param N = 10, a = 0.45, T = 1
state x[1..N]
boundary x[N + 1] = 0
energy = sum(i in 1..N: (x[i] - (N + 1 - i)/N)^2/2 - a*(x[i] - (N + 1 - i)/N)*(x[i + 1] - (N - i)/N))
temperature = T
"""


def banded_moments(n: int, a: float, temperature: float = 1.0):
    """The mean (N + 1 − i)/N and the covariance T·P⁻¹ of BANDED, P = 1 on the
    diagonal and −a beside it (the boundary x[N + 1] = 0 is its mean, so the
    last bond adds nothing)."""
    precision = np.eye(n) - a * (np.eye(n, k=1) + np.eye(n, k=-1))
    return (n + 1 - np.arange(1, n + 1)) / n, temperature * np.linalg.inv(precision)


def condition_100(n: int) -> float:
    """The a that gives P the condition number 100 (eigenvalues 1 − 2a cos(kπ/(n+1)))."""
    return 99 / 101 / (2 * np.cos(np.pi / (n + 1)))


@pytest.fixture(scope="module", params=["nuts", "hmc"])
def banded(request):
    return compile_text(BANDED, request.param)


def test_a_banded_gaussian_array_has_its_mean_and_covariance(banded):
    n, a = 10, condition_100(10)
    mean, cov = banded_moments(n, a)
    # hmc's trajectory between the standard deviations of the narrowest and widest directions (0.7 and 7;
    # one near 7 resonates with the widest's period and mixes worse); nuts finds its own
    options = dict(dt=0.1, steps=1000, particles=8, seed=11, save_every=1, warmup=500, trajectory_length=3.0)
    result = banded.run(params={"a": a}, **options)
    scores = moment_z_scores(result.x[1:], mean, cov)
    # 65 z-scores, each ≈ N(0, 1) for an exact sampler: P(max |z| > 5) < 1e-4
    assert np.abs(scores).max() < 5, np.abs(scores).max()
    rows = diagnostics.diagnose(result)
    assert max(r.rhat for r in rows) < 1.01 and min(r.ess_bulk for r in rows) > 400
    assert result.meta["stats"]["divergences"] == 0
    assert 0.6 < result.meta["stats"]["acceptance_rate"] < 0.97  # warm-up drives it to 0.8
    # negative control: draws at a 30% higher temperature fail the same check
    hot = banded.run(params={"a": a, "T": 1.3}, **options)
    assert np.abs(moment_z_scores(hot.x[1:], mean, cov)).max() > 5


def test_a_seed_fixes_every_bit_whatever_the_threads_and_chunks(banded):
    options = dict(dt=0.1, steps=60, particles=7, seed=3, save_every=20, warmup=50, params={"N": 33})
    one = banded.run(threads=1, chunk_steps=60, **options)
    many = banded.run(threads=3, chunk_steps=7, **options)
    assert np.array_equal(one.x, many.x) and one.meta["stats"] == many.meta["stats"]
    assert np.array_equal(one.x[:, :4], banded.run(**{**options, "particles": 4}).x)  # chain i is chain i
    assert not np.array_equal(one.x, banded.run(**{**options, "seed": 4}).x)


def test_sizes_change_at_run_time_and_divergences_name_elements(banded):
    # a step far too large after no warm-up: every trajectory diverges, and says from where
    result = banded.run(dt=100.0, steps=3, particles=2, seed=1, save_every=1, warmup=0, params={"N": 4})
    assert result.names == ["x[1]", "x[2]", "x[3]", "x[4]"]
    assert result.meta["divergences_per_chain"] == [3, 3]
    first = result.meta["divergences"][0]
    assert first["first_draw"] == 1 and list(first["from"]) == result.names
    np.testing.assert_array_equal(list(first["from"].values()), result.x[0, 0])


@pytest.mark.slow
@pytest.mark.parametrize("method", ["nuts", "hmc"])
def test_the_lattice_samples_its_gibbs_marginal(method):
    """E[φ²] and E[(φ₁ − φ₂)²] of a 2-site Allen–Cahn lattice at T = 0.5
    against quadrature, within 5 MCSE from the run's own ESS; negative
    control at T = 0.8 (E[φ²] hardly changes with T: the bond does)."""
    compiled = actionc.compile(EXAMPLE_DIR / "allen_cahn.act", method)
    result = compiled.run(dt=0.1, steps=2000, particles=8, seed=1, save_every=1, params={"N": 2, "T": 0.5})
    a, b = result.x[1:, :, 0], result.x[1:, :, 1]  # draws × chains
    functions = [lambda a, b: (a**2 + b**2) / 2, lambda a, b: (a - b) ** 2]
    for f in functions:
        values = f(a, b)
        assert abs(values.mean() - lattice_expectation(f, 0.5)) < 5 * diagnostics.mcse_mean(values)
    bond = functions[1](a, b)
    assert abs(bond.mean() - lattice_expectation(functions[1], 0.8)) > 5 * diagnostics.mcse_mean(bond)


def importance_reference(samples: int, seed: int = 0, s: float = 2.5):
    """The logistic posterior's mean and variance of each variable by
    self-normalized importance sampling in NumPy — an independent method:
    a Student-t (8 degrees of freedom, heavier tails than the posterior, so
    the weights are bounded) at the MAP with 1.2² times the Laplace
    covariance. Returns (mean, variance, their standard errors)."""
    X, y = _breast_cancer()
    A = np.hstack([X, np.ones((len(y), 1))])
    theta, covariance = _newton_map(X, y, s)
    factor = np.linalg.cholesky(covariance)
    rng = np.random.default_rng(seed)
    log_weights, draws = [], []
    for _ in range(samples // 50_000):
        z = rng.standard_normal((50_000, len(theta))) / np.sqrt(rng.chisquare(8, 50_000) / 8)[:, None]
        draw = theta + 1.2 * z @ factor.T
        energy = np.logaddexp(0, -y * (draw @ A.T)).sum(axis=1) + (draw**2).sum(axis=1) / (2 * s**2)
        log_proposal = -(8 + len(theta)) / 2 * np.log1p((z * z).sum(axis=1) / 8)
        log_weights.append(-energy - log_proposal)
        draws.append(draw)
    log_weight, draw = np.concatenate(log_weights), np.concatenate(draws)
    weight = np.exp(log_weight - log_weight.max())
    weight /= weight.sum()
    mean = weight @ draw
    variance = weight @ (draw - mean) ** 2
    # the delta method's standard error of a self-normalized estimate: sqrt(Σ w² (f − E f)²)
    mean_error = np.sqrt(weight**2 @ (draw - mean) ** 2)
    variance_error = np.sqrt(weight**2 @ ((draw - mean) ** 2 - variance) ** 2)
    return mean, variance, mean_error, variance_error, theta


@pytest.mark.slow
@pytest.mark.parametrize("method", ["nuts", "hmc"])
def test_the_logistic_posterior_agrees_with_importance_sampling(method):
    """Means and variances of all 31 variables against importance sampling
    (2·10⁶ proposals, an ESS of about 1.2·10⁴), each within 5 combined
    standard errors (the sampler's MCSE from its own ESS, and the
    reference's); negative control: the MAP is not the mean (the posterior
    is skewed), and the same check tells them apart."""
    mean, variance, mean_error, variance_error, theta = importance_reference(2_000_000)
    compiled = actionc.compile(EXAMPLE_DIR / "logistic_regression.act", method)
    # hmc: a trajectory of 2 (seed 4, 8 × 1000 draws: R-hat 1.003; lengths of 3 to 9 resonate with some
    # direction and give R-hat 1.016–1.025: a fixed length must suit the posterior, which nuts finds itself)
    result = compiled.run(dt=0.01, steps=1000, particles=8, seed=4, save_every=1, trajectory_length=2.0)
    draws = result.x[1:]
    assert max(r.rhat for r in diagnostics.diagnose(result)) < 1.01
    centred = (draws - mean) ** 2
    z_mean, z_variance, z_map = [], [], []
    for k in range(draws.shape[2]):
        error = diagnostics.mcse_mean(draws[:, :, k])
        z_mean.append((draws[:, :, k].mean() - mean[k]) / np.hypot(error, mean_error[k]))
        z_map.append((draws[:, :, k].mean() - theta[k]) / np.hypot(error, mean_error[k]))
        squared = diagnostics.mcse_mean(centred[:, :, k])
        z_variance.append((centred[:, :, k].mean() - variance[k]) / np.hypot(squared, variance_error[k]))
    assert np.abs(z_mean).max() < 5 and np.abs(z_variance).max() < 5, (np.abs(z_mean).max(), np.abs(z_variance).max())
    assert np.abs(z_map).max() > 5


@pytest.mark.parametrize(
    "model, params",
    [
        (EXAMPLE_DIR / "logistic_regression.act", {}),
        pytest.param(EXAMPLE_DIR / "allen_cahn.act", {"N": 9}, marks=pytest.mark.slow),
        (BANDED, {}),
    ],
    ids=["logistic", "lattice", "banded"],
)
def test_the_energy_and_its_gradient_in_one_pass_equal_them_apart(model, params):
    # the samplers' U and ∇U come from one function that shares the data passes of E and ∇E
    compiled = actionc.compile(model, "nuts") if not isinstance(model, str) else compile_text(model, "nuts")
    names = compiled.run(dt=0.01, steps=1, warmup=1, params=params).names
    data, sizes = compiled.data()
    p = np.array([{**dict(compiled.meta.params), **sizes, **params}[name] for name, _ in compiled.meta.params])
    module = compiled.kernel.module
    for state in np.random.default_rng(1).standard_normal((5, len(names))) * 0.5:
        gradient = np.empty(len(names))
        energy = module.energy_and_gradient(state, 0.0, p, data, gradient)
        assert energy == pytest.approx(module.np_energy(state, 0.0, p, data), rel=1e-12)
        np.testing.assert_allclose(gradient, module.np_gradient(state, 0.0, p, data), rtol=1e-12, atol=1e-12)
