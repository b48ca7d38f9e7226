"""Statistical physics of the samplers, with fixed seeds and tolerances
derived from the sample size (written next to each assertion)."""

from pathlib import Path

import numpy as np
import pytest

import actionc
from tests.conftest import EXAMPLE_DIR


def write(tmp_path, text: str) -> Path:
    path = tmp_path / "model.act"
    path.write_text(text)
    return path


def test_ornstein_uhlenbeck_stationary_variance_is_sigma2_over_2theta():
    compiled = actionc.compile(EXAMPLE_DIR / "ornstein_uhlenbeck.act", "sra1")
    n = 20_000
    result = compiled.run(dt=0.01, steps=1000, particles=n, seed=1, save_every=1000)
    variance = result.x[-1, :, 0].var()
    expected = 0.3**2 / 2  # sigma^2 / (2 theta); SRA1 is exact in law up to O(dt^2) here
    # the sample variance of n Gaussians has relative std sqrt(2/n) ≈ 0.01: allow 4 of those
    assert abs(variance / expected - 1) < 4 * np.sqrt(2 / n)


def test_baoab_samples_equipartition():
    compiled = actionc.compile(EXAMPLE_DIR / "langevin_oscillator.act", "baoab")
    n = 20_000
    result = compiled.run(dt=0.05, steps=600, particles=n, seed=2, save_every=600)
    x, v = result.x[-1, :, 0], result.x[-1, :, 1]
    # <v^2> = T/m = 1 and <x^2> = T/k = 1 (BAOAB's configurational error is
    # O(dt^2) for harmonic forces, ~6e-4 here); relative std of each is sqrt(2/n)
    tolerance = 4 * np.sqrt(2 / n) + 1e-3
    assert abs(np.mean(v * v) - 1.0) < tolerance
    assert abs(np.mean(x * x) - 1.0) < tolerance


def gibbs_marginal_x(edges, temperature):
    """The exact x-marginal of exp(-((x^2 - 1)^2 + y^2/2)/T), binned."""
    fine = np.linspace(-3, 3, 60_001)
    density = np.exp(-((fine**2 - 1) ** 2) / temperature)
    cumulative = np.concatenate([[0], np.cumsum((density[1:] + density[:-1]) / 2 * np.diff(fine))])
    cumulative /= cumulative[-1]
    return np.diff(np.interp(edges, fine, cumulative))


def chi_square(counts, probabilities) -> tuple[float, int]:
    expected = counts.sum() * probabilities
    keep = expected > 20
    return float(np.sum((counts[keep] - expected[keep]) ** 2 / expected[keep])), int(keep.sum()) - 1


@pytest.mark.parametrize("method, dt", [("mala", 0.05), ("euler-maruyama", 0.002)])
def test_langevin_samples_the_gibbs_density_of_the_double_well(method, dt):
    compiled = actionc.compile(EXAMPLE_DIR / "double_well.act", method)
    n = 20_000
    steps = round(8.0 / dt)  # ~8 time units: many barrier crossings at T = 0.5
    result = compiled.run(dt=dt, steps=steps, particles=n, seed=3, save_every=steps, init={"x": 0.0})
    edges = np.linspace(-2, 2, 41)
    counts, _ = np.histogram(result.x[-1, :, 0], bins=edges)
    statistic, dof = chi_square(counts, gibbs_marginal_x(edges, 0.5))
    # chi-square with dof ≈ 35: mean 35, std ≈ 8.4; 2x dof is far in the tail for
    # an exact sampler, while Euler–Maruyama's O(dt) bias at dt = 0.002 stays below it
    assert statistic < 2 * dof, (statistic, dof)
    if method == "mala":
        assert 0.5 < result.meta["stats"]["acceptance_rate"] < 1.0


def test_mala_detects_a_wrong_density():
    # the same chi-square rejects a histogram from the wrong temperature
    compiled = actionc.compile(EXAMPLE_DIR / "double_well.act", "mala")
    result = compiled.run(dt=0.05, steps=160, particles=20_000, seed=3, save_every=160, params={"T": 1.0})
    edges = np.linspace(-2, 2, 41)
    counts, _ = np.histogram(result.x[-1, :, 0], bins=edges)
    statistic, dof = chi_square(counts, gibbs_marginal_x(edges, 0.5))
    assert statistic > 10 * dof


GBM = "model gbm\nparam mu = 0.3, sigma = 0.5\nstate S\n{noise}dS = mu*S dt + sigma*S dW\ninit S = 1\n"


@pytest.mark.parametrize(
    "noise, method, exponent",
    [("", "euler-maruyama", 0.3), ("noise stratonovich\n", "heun", 0.3 + 0.5**2 / 2)],
)
def test_mean_of_geometric_brownian_motion_under_ito_and_stratonovich(noise, method, exponent, tmp_path):
    compiled = actionc.compile(write(tmp_path, GBM.format(noise=noise)), method)
    n = 200_000
    final = compiled.run(dt=0.001, steps=1000, particles=n, seed=4, save_every=1000).x[-1, :, 0]
    expected = np.exp(exponent)
    # standard error of the mean: std(S)/sqrt(n); plus the O(dt) weak bias
    standard_error = final.std() / np.sqrt(n)
    assert abs(final.mean() - expected) < 4 * standard_error + 1e-3 * expected
