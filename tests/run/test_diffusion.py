"""Diffusion models end to end: every sampler rebuilds the data, the
probability flow gives exact log-likelihoods, the reverse of the OU process
is consistent with running it forward again, and the divergence term of
state-dependent noise matters."""

import numba
import numpy as np
import pytest

import actionc
from actionc.cli import main
from actionc.errors import RunError
from actionc.pipeline import log_likelihood, sample
from tests.conftest import EXAMPLE_DIR

RING = EXAMPLE_DIR / "gaussian_ring.act"
BIMODAL = EXAMPLE_DIR / "bimodal_ve.act"


def ring_data(size: int, seed: int) -> np.ndarray:
    """Independent draws of the ring's data: 8 Gaussians, radius 4, std 0.3."""
    rng = np.random.default_rng(seed)
    angles = rng.integers(0, 8, size) * np.pi / 4
    return 4 * np.stack([np.cos(angles), np.sin(angles)], axis=1) + 0.3 * rng.standard_normal((size, 2))


def ring_log_density(x: np.ndarray) -> np.ndarray:
    angles = np.arange(8) * np.pi / 4
    centers = 4 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    squared = np.sum((x[:, None, :] - centers[None]) ** 2, axis=-1)
    return np.log(np.mean(np.exp(-squared / (2 * 0.09)), axis=1) / (2 * np.pi * 0.09))


def energy_distance(a: np.ndarray, b: np.ndarray) -> float:
    """2 E|X − Y| − E|X − X'| − E|Y − Y'| (Székely & Rizzo 2013), in blocks."""

    def mean_distance(u, v):
        total = 0.0
        for start in range(0, len(u), 2000):
            block = u[start : start + 2000]
            squared = np.sum(block**2, 1)[:, None] + np.sum(v**2, 1)[None, :] - 2 * block @ v.T
            total += np.sum(np.sqrt(np.maximum(squared, 0.0)))
        return total / (len(u) * len(v))

    return 2 * mean_distance(a, b) - mean_distance(a, a) - mean_distance(b, b)


# two independent samples of 8000 from the ring: energy distances of 0.0002
# to 0.004, median 0.0009 (30 pairs); a ring 3% too wide is at 0.0047, 4% at 0.008
N = 8000
THRESHOLD = 0.005


def test_the_threshold_separates_the_right_distribution_from_a_slightly_wrong_one():
    reference = ring_data(N, 0)
    assert energy_distance(ring_data(N, 1), reference) < THRESHOLD
    widened = ring_data(N, 2) * 1.04  # ring radius 4.16 instead of 4
    assert energy_distance(widened, reference) > THRESHOLD


@pytest.mark.parametrize(
    "method, steps, options",
    [("reverse-em", 1000, {}), ("pc", 500, {}), ("pf-rk4", 200, {}), ("pf-dopri5", 1, {"rtol": 1e-6, "atol": 1e-8})],
)
def test_every_sampler_rebuilds_the_ring(method, steps, options):
    sampler = actionc.compile(RING, method)
    result = sampler.run(dt=1.0 / steps, steps=steps, particles=N, seed=3, save_every=steps, **options)
    assert result.diverged == 0
    assert energy_distance(result.x[-1], ring_data(N, 0)) < THRESHOLD


def test_probability_flow_log_likelihoods_are_exact():
    points = np.concatenate([ring_data(6, 4), [[0.0, 0.0], [3.0, 3.0], [-4.2, 0.1]]])
    values = log_likelihood(RING, points)
    assert np.max(np.abs(values - ring_log_density(points))) < 1e-3


def test_likelihoods_in_one_dimension_under_ve():
    x = np.array([[-2.0], [-1.0], [0.0], [1.5], [3.0]])
    exact = np.log(
        (1 / 3) * np.exp(-((x + 2) ** 2) / (2 * 0.09)) / np.sqrt(2 * np.pi * 0.09)
        + (2 / 3) * np.exp(-((x - 1.5) ** 2) / (2 * 0.25)) / np.sqrt(2 * np.pi * 0.25)
    )[:, 0]
    assert np.max(np.abs(log_likelihood(BIMODAL, x) - exact)) < 1e-3


def test_ou_reverse_then_forward_is_consistent():
    # reverse from p_2 down to p_0 = N(3, 0.5²), then forward again to p_2
    reverse = actionc.compile(EXAMPLE_DIR / "ou_reverse.act", "reverse-em")
    backwards = reverse.run(dt=2e-3, steps=1000, particles=20_000, seed=5, save_every=1000).x[-1, :, 0]
    assert np.mean(backwards) == pytest.approx(3.0, abs=0.02)
    assert np.std(backwards) == pytest.approx(0.5, abs=0.01)
    forward = actionc.compile(EXAMPLE_DIR / "ou_reverse.act", "euler-maruyama")
    again = forward.run(dt=2e-3, steps=1000, particles=20_000, seed=6, save_every=1000, init={"x": backwards})
    end = again.x[-1, :, 0]
    assert np.mean(end) == pytest.approx(3 * np.exp(-2), abs=0.02)
    assert np.var(end) == pytest.approx(1 + (0.25 - 1) * np.exp(-4), abs=0.03)


def test_dropping_the_divergence_term_visibly_breaks_state_dependent_noise():
    derived = actionc.compile(EXAMPLE_DIR / "widening_noise.act", "reverse-em")
    samples = derived.run(dt=2e-3, steps=1000, particles=20_000, seed=1, save_every=1000).x[-1, :, 0]
    assert np.std(samples) == pytest.approx(1.0, abs=0.02)  # p_0 = N(0, 1)
    dropped = actionc.parse(
        "model dropped\nstate x\n"
        "dx = -((x - x^3/(2*(3 - t))) + (1 + x^2)*x/(3 - t)) dt + sqrt(1 + x^2) dW\n"
        "init x = normal(0, sqrt(3))\n"
    )
    wrong = actionc.compile(dropped).run(dt=2e-3, steps=1000, particles=20_000, seed=1, save_every=1000)
    assert np.std(wrong.x[-1, :, 0]) < 0.7


def test_samplers_are_bit_reproducible_across_threads():
    sampler = actionc.compile(RING, "pc")
    one = sampler.run(dt=0.01, steps=100, particles=64, seed=9, threads=1, save_every=100).x
    two = sampler.run(dt=0.01, steps=100, particles=64, seed=9, threads=2, save_every=100).x
    assert np.array_equal(one, two)


def test_the_cli_samples_derives_and_scores(tmp_path, capsys):
    assert main(["run", str(BIMODAL), "--method", "pf-rk4", "--steps", "100", "--particles", "2000"]) == 0
    assert "pf-rk4, 2000 particle(s), 100 steps of dt = 0.01" in capsys.readouterr().out
    points = tmp_path / "points.npy"
    np.save(points, np.array([[-2.0], [1.5]]))
    assert main(["likelihood", str(BIMODAL), str(points)]) == 0
    printed = capsys.readouterr().out
    assert "-2  ->  -0.81357" in printed and "1.5  ->  -0.63125" in printed  # log(1/3 N(0; 0, 0.3²)) = -0.81358
    assert main(["derive", str(EXAMPLE_DIR / "ou_reverse.act"), "--what", "reverse_sde,probability_flow,score"]) == 0
    printed = capsys.readouterr().out
    assert "Reverse-time SDE" in printed and "Probability-flow ODE" in printed
    assert main(["run", str(EXAMPLE_DIR / "ornstein_uhlenbeck.act"), "--method", "pc", "--steps", "10"]) == 1
    assert "sampling backwards needs" in capsys.readouterr().err


@numba.njit
def bimodal_score(x, t, out):
    """The exact score of bimodal_ve.act, written by hand as a user would write a network."""
    nu = 0.01**2 * ((10 / 0.01) ** (2 * t) - 1)
    v1, v2 = 0.09 + nu, 0.25 + nu
    l1 = np.log(1 / 3) - 0.5 * np.log(v1) - (x[0] + 2) ** 2 / (2 * v1)
    l2 = np.log(2 / 3) - 0.5 * np.log(v2) - (x[0] - 1.5) ** 2 / (2 * v2)
    top = max(l1, l2)
    r1, r2 = np.exp(l1 - top), np.exp(l2 - top)
    out[0] = (r1 * (-(x[0] + 2) / v1) + r2 * (-(x[0] - 1.5) / v2)) / (r1 + r2)


@pytest.mark.parametrize("method", ["reverse-em", "pf-rk4"])
def test_a_score_supplied_at_run_time_drives_the_samplers(method):
    result = sample(BIMODAL, bimodal_score, method=method, steps=500, particles=20_000, seed=1)
    x = result.x[-1, :, 0]
    left = x < -0.5
    assert left.mean() == pytest.approx(1 / 3, abs=0.015)
    assert x[left].mean() == pytest.approx(-2, abs=0.02) and x[left].std() == pytest.approx(0.3, abs=0.015)
    assert x[~left].mean() == pytest.approx(1.5, abs=0.02) and x[~left].std() == pytest.approx(0.5, abs=0.015)


def test_a_supplied_score_that_fails_is_reported_as_such():
    @numba.njit
    def wrong(x, t):  # no out argument
        return -x

    with pytest.raises(RunError, match="the supplied score fails"):
        sample(BIMODAL, wrong, steps=10, particles=10)
    with pytest.raises(RunError, match="must be a Numba function"):
        sample(BIMODAL, lambda x, t, out: None, steps=10, particles=10)
