"""The eight schools, non-centred (examples/eight_schools.act), sampled by
NUTS: the posterior means and standard deviations of mu, tau and the eight
theta_j match the exact ones — by quadrature over (mu, tau), which the
hierarchy makes two-dimensional (BDA3 §5.4) — within the Monte Carlo error
of the run's own ESS; the quadrature matches posteriordb's published
reference posterior within its Monte Carlo error."""

import numpy as np
import pytest

import actionc
from actionc.run import diagnostics
from tests.conftest import EXAMPLE_DIR

Y = np.array([28, 8, -3, 7, -1, 1, 18, 12.0])
SIGMA = np.array([15, 10, 16, 11, 9, 11, 10, 18.0])
NAMES = [f"theta{j}" for j in range(1, 9)] + ["mu", "tau"]

# posteriordb (stan-dev/posteriordb), reference_posteriors/summary_statistics: the means of
# eight_schools-eight_schools_noncentered and the mean squared values of eight_schools-eight_schools_centered
# (the same posterior), each with its Monte Carlo standard error, in the order of NAMES
PUBLISHED_MEAN = [6.15050, 4.93958, 3.90591, 4.79602, 3.61444, 4.05115, 6.31717, 4.88400, 4.41052, 3.60206]
PUBLISHED_MEAN_MCSE = [0.0557, 0.0462, 0.0542, 0.0475, 0.0461, 0.0485, 0.0499, 0.0543, 0.0330, 0.0319]
PUBLISHED_SQUARE = [69.36345, 45.9787, 43.13923, 45.76135, 34.35767, 39.4135, 64.93269, 52.12845, 30.40302, 23.20407]
PUBLISHED_SQUARE_MCSE = [1.1692, 0.6346, 0.6539, 0.6194, 0.4550, 0.5390, 0.9216, 0.9025, 0.3351, 0.4849]


def exact_moments():
    """E[X] and E[X²] of theta_1..8, mu, tau by quadrature: y_j | mu, tau ~ N(mu, σ_j² + τ²), and
    theta_j | mu, tau, y is normal with precision 1/σ_j² + 1/τ² (BDA3 eqs. 5.17, 5.20)."""
    # a smooth integrand that vanishes at the edges: the trapezoid rule has converged to 1e-8 on this grid
    mu = np.linspace(-40, 50, 451)[:, None]
    log_tau = np.linspace(-14, 7, 526)[None, :]
    tau = np.exp(log_tau)
    # log density over (mu, log tau): N(mu; 0, 5), half-Cauchy(tau; 5) × tau (the Jacobian), the likelihood
    log_p = -(mu**2) / 50 - np.log1p(tau**2 / 25) + log_tau
    variances = SIGMA[:, None, None] ** 2 + tau**2
    log_p = log_p - 0.5 * np.sum(np.log(variances) + (Y[:, None, None] - mu) ** 2 / variances, axis=0)
    weight = np.exp(log_p - log_p.max())
    weight /= weight.sum()  # a uniform grid: sums are the trapezoid rule up to the vanishing edges
    precision = 1 / SIGMA[:, None, None] ** 2 + 1 / tau**2
    conditional_mean = (Y[:, None, None] / SIGMA[:, None, None] ** 2 + mu / tau**2) / precision
    first = [np.sum(weight * m) for m in conditional_mean] + [np.sum(weight * mu), np.sum(weight * tau)]
    second = [np.sum(weight * (m**2 + 1 / v)) for m, v in zip(conditional_mean, precision)]
    second += [np.sum(weight * mu**2), np.sum(weight * tau**2)]
    return np.array(first), np.array(second)


def test_the_quadrature_matches_posteriordbs_reference_posterior():
    first, second = exact_moments()
    # z-scores against the published Monte Carlo errors: 20 of them, |z| < 4
    assert np.abs((first - PUBLISHED_MEAN) / PUBLISHED_MEAN_MCSE).max() < 4
    assert np.abs((second - PUBLISHED_SQUARE) / PUBLISHED_SQUARE_MCSE).max() < 4
    sd = np.sqrt(second - first**2)
    # the published standard deviations, √(E[X²] − E[X]²) (MC error ≈ 0.05 for mu, 0.08 for tau)
    assert sd[-2] == pytest.approx(3.31, abs=0.1) and sd[-1] == pytest.approx(3.20, abs=0.2)  # mu, tau


def quantities(draws: np.ndarray) -> np.ndarray:
    """theta_1..8, mu, tau of each draw (draws × chains × (mu, log_tau, z1..z8)), on the last axis."""
    mu, tau, z = draws[..., 0], np.exp(draws[..., 1]), draws[..., 2:]
    return np.concatenate([mu[..., None] + tau[..., None] * z, mu[..., None], tau[..., None]], axis=-1)


def z_scores(result, first, second) -> np.ndarray:
    """(estimate − exact)/MCSE of every mean and mean square, each MCSE from its own series' ESS."""
    values = quantities(result.x[1:])
    scores = []
    for k in range(values.shape[-1]):
        for series, exact in ((values[..., k], first[k]), (values[..., k] ** 2, second[k])):
            scores.append((series.mean() - exact) / diagnostics.mcse_mean(series))
    return np.array(scores)


def test_nuts_matches_the_eight_schools_posterior():
    first, second = exact_moments()
    compiled = actionc.compile(EXAMPLE_DIR / "eight_schools.act", "nuts")
    result = compiled.run(dt=0.1, steps=1500, particles=8, seed=2, save_every=1, warmup=500)
    # 20 z-scores of an exact sampler: P(max |z| > 4.5) < 1e-4 (the squares of tau are heavy-tailed: the
    # MCSE from ESS is then a rougher estimate, hence not 4)
    scores = z_scores(result, first, second)
    assert np.abs(scores).max() < 4.5, scores
    assert max(r.rhat for r in diagnostics.diagnose(result)) < 1.01
    # the non-centred form is what makes NUTS work here: few divergences, if any (the centred form has hundreds)
    assert result.meta["stats"]["divergences"] <= 10
    # negative control: the same check rejects the posterior tempered to T = 1.5
    hot = compiled.run(dt=0.1, steps=1500, particles=8, seed=2, save_every=1, warmup=500, params={"T": 1.5})
    assert np.abs(z_scores(hot, first, second)).max() > 4.5
