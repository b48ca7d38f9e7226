"""Replica exchange (--method tempering) on examples/two_wells.act, whose
wells are 16 T apart: MALA and NUTS stay in the well they fall into and
R-hat says so; tempering recovers the wells' exact weights (numerical
integration of exp(−E/T)) within the Monte Carlo error of its own ESS;
the compiled step is the textbook step; a seed fixes every bit."""

import math

import numpy as np
import pytest
from scipy import integrate

import actionc
from actionc.errors import RunError
from actionc.run import diagnostics
from tests.conftest import EXAMPLE_DIR
from tests.run import reference
from tests.run.reference import Stream

WELLS = EXAMPLE_DIR / "two_wells.act"


def energy(x, y):
    return 16 * ((x / 2) ** 2 - 1) ** 2 + x / 4 + (y - x / 2) ** 2 / 2  # as in the example


def left_weight(temperature: float) -> float:
    """P(x < 0) under exp(−E/T), by 2-D quadrature (the density is below
    1e-40 outside the box)."""
    density = lambda y, x: math.exp(-energy(x, y) / temperature)  # noqa: E731
    left, _ = integrate.dblquad(density, -6, 0, -12, 12, epsabs=0, epsrel=1e-10)
    right, _ = integrate.dblquad(density, 0, 6, -12, 12, epsabs=0, epsrel=1e-10)
    return left / (left + right)


@pytest.fixture(scope="module")
def tempering():
    return actionc.compile(WELLS, "tempering")


def run(compiled, **options):
    settings = dict(dt=0.01, steps=20_000, particles=8, seed=1, save_every=10, warmup=2000)
    return compiled.run(**{**settings, **options})


def weight_z_score(result, exact: float) -> float:
    """(estimated − exact) P(x < 0) over the MCSE from the indicator's own ESS."""
    left = (result.x[1:, :, 0] < 0).astype(float)
    return (left.mean() - exact) / diagnostics.mcse_mean(left)


def test_tempering_recovers_the_exact_weights_of_two_wells_16_t_apart(tempering):
    exact = left_weight(1.0)
    assert 0.7 < exact < 0.76  # the deeper left well, e^(1/2 + 1/2) ≈ 2.7 times the right one
    result = run(tempering, replicas=8, hottest=16.0)
    # the chains cross: each of the 8 spends time in both wells, and they agree
    left = (result.x[1:, :, 0] < 0).mean(axis=0)
    assert (left > 0.5).all() and (left < 0.95).all(), left
    assert max(r.rhat for r in diagnostics.diagnose(result)) < 1.01
    # |z| < 4 fails an exact sampler with probability 6e-5; the ESS (~4000) gives MCSE ≈ 0.007
    assert abs(weight_z_score(result, exact)) < 4
    # negative control: the same check rejects the draws at T = 1.5 (weight ≈ 0.66 there)
    hot = run(tempering, replicas=8, hottest=16.0, params={"T": 1.5})
    assert abs(weight_z_score(hot, exact)) > 4
    assert abs(weight_z_score(hot, left_weight(1.5))) < 4


@pytest.mark.parametrize("method", [pytest.param("mala", marks=pytest.mark.slow), "nuts"])
def test_mala_and_nuts_stay_in_the_well_they_fall_into_and_r_hat_flags_it(method):
    compiled = actionc.compile(WELLS, method)
    options = {"warmup": 500} if method == "nuts" else {}
    result = compiled.run(dt=0.01, steps=2000, particles=8, seed=1, save_every=1, **options)
    left = (result.x[200:, :, 0] < 0).mean(axis=0)  # after MALA's first steps down from the start
    assert set(left) <= {0.0, 1.0} and 0 < left.mean() < 1, left  # each chain in one well; both wells visited
    rows = {r.name: r for r in diagnostics.diagnose(result)}
    assert rows["x"].rhat > 1.1  # far above the 1.01 limit: the chains disagree
    assert any("R-hat above" in w for w in diagnostics.warnings(list(rows.values()), result.meta["stats"]))


def test_the_compiled_step_is_the_textbook_step(tempering):
    # warm-up 0: from the initial state every replica moves by MALA, then even, odd, … pairs swap
    dt, steps, seed, replicas, hottest = 0.05, 40, 4, 4, 8.0
    result = tempering.run(
        dt=dt, steps=steps, particles=2, seed=seed, save_every=1, warmup=0, replicas=replicas, hottest=hottest
    )
    E, score = tempering.function("energy"), tempering.function("score")
    temperatures = [hottest ** (k / (replicas - 1)) for k in range(replicas)]
    swaps = 0
    for particle in range(2):
        s = Stream(tempering, seed, particle)
        q = np.array([2.0 * s.normal(), s.normal()])  # init: x = normal(0, 2), y = normal(0, 1)
        ladder = [q.copy() for _ in range(replicas)]
        for step in range(steps):
            ladder, swapped = reference.tempering(
                lambda z: float(E(z)), lambda z: -score(z), ladder, dt, temperatures, 1.0, s, step % 2
            )
            swaps += len(swapped)
            np.testing.assert_allclose(result.x[step + 1, particle], ladder[0], rtol=1e-12, atol=1e-12)
    stats = result.meta["stats"]
    assert sum(stats[f"swaps_{k}"] for k in range(replicas - 1)) == swaps > 0
    # pairs 0 and 2 are tried on even steps, pair 1 on odd ones: 2 chains × 20 each
    assert [stats[f"swap_tries_{k}"] for k in range(4)] == [40, 40, 40, 0]


def test_swap_rates_are_reported_for_each_neighbour_pair(tempering):
    result = run(tempering, steps=2000, warmup=500, replicas=6, hottest=16.0)
    ladder = result.meta["ladder"]
    assert ladder["temperature_ratios"][0] == 1.0 and ladder["temperature_ratios"][-1] == pytest.approx(16.0)
    assert len(ladder["swap_rates"]) == 5 and all(0.3 < rate < 1.0 for rate in ladder["swap_rates"])
    summary = diagnostics.summary(result)
    assert "swap rates" in summary and "1 → 1.74" in summary
    # after warm-up only: 8 chains × 2000 draws, each pair tried every other step
    assert result.meta["stats"]["proposed"] == 8 * 2000
    assert result.meta["stats"]["swap_tries_0"] == 8 * 1000


def test_a_seed_fixes_every_bit_whatever_the_threads_and_chunks(tempering):
    one = run(tempering, steps=300, warmup=100, save_every=1, threads=1, particles=6)
    assert np.array_equal(one.x, run(tempering, steps=300, warmup=100, save_every=1, threads=2, particles=6).x)
    chunked = run(tempering, steps=300, warmup=100, save_every=1, threads=2, particles=6, chunk_steps=7)
    assert np.array_equal(one.x, chunked.x) and one.meta["stats"] == chunked.meta["stats"]
    alone = run(tempering, steps=300, warmup=100, save_every=1, particles=2)
    assert np.array_equal(one.x[:, :2], alone.x)  # chain i alone is chain i in a crowd
    assert not np.array_equal(one.x, run(tempering, steps=300, warmup=100, save_every=1, particles=6, seed=2).x)


@pytest.mark.parametrize(
    "options, words",
    [
        ({"replicas": 1}, "--replicas must be a whole number from 2 to 16"),
        ({"replicas": 17}, "from 2 to 16"),
        ({"hottest": 1.0}, "--hottest must be a number above 1"),
        ({"hottest": math.inf}, "--hottest"),
    ],
)
def test_a_ladder_that_is_not_one_is_refused(tempering, options, words):
    with pytest.raises(RunError, match=words):
        tempering.run(dt=0.01, steps=10, particles=2, **options)
