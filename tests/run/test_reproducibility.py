"""A seed fixes every bit: whatever the threads, the chunks, or the size of
the ensemble."""

import numpy as np
import pytest

import actionc
from tests.conftest import EXAMPLE_DIR


@pytest.fixture(scope="module")
def lorenz():
    return actionc.compile(EXAMPLE_DIR / "stochastic_lorenz.act")


def run(compiled, **options):
    settings = dict(dt=1e-3, steps=400, particles=64, seed=7, save_every=100)
    settings.update(options)
    return compiled.run(**settings).x


def test_one_thread_and_two_threads_give_identical_bits(lorenz):
    assert np.array_equal(run(lorenz, threads=1), run(lorenz, threads=2))


def test_one_chunk_and_many_chunks_give_identical_bits(lorenz):
    assert np.array_equal(run(lorenz, chunk_steps=400), run(lorenz, chunk_steps=100))


def test_particle_i_is_the_same_in_a_small_and_a_large_ensemble(lorenz):
    small, large = run(lorenz, particles=200), run(lorenz, particles=400)
    assert np.array_equal(small, large[:, :200])


def test_another_seed_gives_other_paths(lorenz):
    assert not np.array_equal(run(lorenz, seed=7), run(lorenz, seed=8))


def test_overriding_an_initial_value_keeps_the_noise(lorenz):
    # init draws still happen, so the noise of the run is the same
    free = run(lorenz, particles=4)
    pinned = run(lorenz, particles=4, init={"x": 1.0})
    assert np.all(pinned[0, :, 0] == 1.0)
    assert np.array_equal(pinned[0, :, 1:], free[0, :, 1:])


def test_a_parameter_sweep_gives_each_particle_its_value():
    compiled = actionc.compile(EXAMPLE_DIR / "pendulum.act")
    lengths = np.array([0.5, 1.0, 2.0])
    result = compiled.run(dt=1e-3, steps=100, particles=3, params={"l": lengths}, save_every=100)
    single = [compiled.run(dt=1e-3, steps=100, params={"l": v}, save_every=100).x[-1, 0] for v in lengths]
    assert np.array_equal(result.x[-1], np.array(single))
    assert result.meta["params"]["l"] == [0.5, 1.0, 2.0]


def test_a_range_of_particles_run_alone_draws_what_the_whole_run_draws(lorenz):
    # what a Dask task runs: particles 5..8 of the run, as a run of their own
    whole = run(lorenz, particles=12)
    assert np.array_equal(run(lorenz, particles=4, first_particle=5), whole[:, 5:9])
    assert not np.array_equal(run(lorenz, particles=4), whole[:, 5:9])  # particles 0..3 draw other numbers
