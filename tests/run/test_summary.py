"""A summary-only run in batches of particles says what the one run says:
the spreads merge exactly (up to rounding), drifts are maxima, a sweep's
groups and the divergences add up, and the CLI batches only what would
not fit."""

import numpy as np
import pytest

import actionc
from actionc.cli import main
from actionc.errors import RunError
from actionc.run import summary
from actionc.run.summary import Spread, Summary, run_in_batches
from tests.conftest import EXAMPLE_DIR


def test_spreads_merge_to_the_spread_of_all():
    values = np.random.default_rng(1).normal(3.0, 2.0, size=(1001, 3))
    merged = Spread.of(values[:10]) + Spread.of(values[10:500]) + Spread.of(values[500:])
    assert merged.count == 1001
    assert np.allclose(merged.mean, values.mean(axis=0), rtol=1e-14)
    assert np.allclose(merged.std(), values.std(axis=0), rtol=1e-13)
    assert not np.allclose((Spread.of(values[:10]) + Spread.of(values[:10])).std(), values.std(axis=0))  # control


def test_a_batched_sweep_with_divergences_summarizes_as_the_one_run():
    model = actionc.compile(EXAMPLE_DIR / "double_well.act", "euler-maruyama")
    settings = dict(
        dt=0.3, steps=30, particles=40, seed=2, params={"T": np.repeat([0.1, 3.0], 20)}, init={"x": "normal(0, 1)"}
    )
    whole = Summary.of(model.run(**settings))
    batched, first = run_in_batches(model, batch=7, **settings)
    assert 0 < whole.diverged < 40 and batched.diverged == whole.diverged and first is not None
    assert batched.particles == 40 and list(batched.groups) == list(whole.groups) == ["T = 0.1", "T = 3"]
    for label, spread in whole.groups.items():
        assert batched.groups[label].count == spread.count
        assert np.allclose(batched.groups[label].mean, spread.mean, rtol=1e-12)
        assert np.allclose(batched.groups[label].std(), spread.std(), rtol=1e-12)
    assert batched.text().splitlines()[0] == whole.text().splitlines()[0]


def test_invariant_drift_is_the_largest_of_the_batches():
    model = actionc.compile(EXAMPLE_DIR / "pendulum.act", "rk4")
    settings = dict(dt=0.05, steps=40, particles=12, init={"th": "uniform(0.1, 3)"})
    whole = Summary.of(model.run(**settings))
    batched, _ = run_in_batches(model, batch=5, **settings)
    assert np.array_equal(batched.drift, whole.drift) and np.array_equal(batched.scale, whole.scale)


def test_runs_whose_summary_needs_every_particle_are_not_batched():
    model = actionc.compile(EXAMPLE_DIR / "double_well.act", "mala")
    with pytest.raises(RunError, match="needs every particle at once"):
        run_in_batches(model, batch=3, dt=0.1, steps=5, particles=10)


def test_the_cli_batches_a_summary_only_run_too_large_to_hold(monkeypatch, capsys):
    argv = ["run", str(EXAMPLE_DIR / "pendulum.act"), "--dt", "0.05", "--steps", "20", "--particles", "50"]
    argv += ["--init", "th=uniform(0.1, 3)"]
    assert main(argv) == 0
    whole = capsys.readouterr().out
    monkeypatch.setattr(summary, "BATCH_GB", 1e-6)  # a few particles a batch
    assert summary.batch_size(actionc.compile(EXAMPLE_DIR / "pendulum.act"), particles=50, steps=20, params={}) < 50
    assert main(argv) == 0
    batched = capsys.readouterr().out
    assert [_words(line) for line in batched.splitlines()] == [_words(line) for line in whole.splitlines()]
    numbers = [x for line in batched.splitlines() for x in _numbers(line)]
    assert numbers == pytest.approx([x for line in whole.splitlines() for x in _numbers(line)], rel=1e-9)


def _numbers(line: str) -> list[float]:
    return [float(word) for word in line.replace("(", " ").split() if _is_number(word)]


def _words(line: str) -> list[str]:
    return [word for word in line.replace("(", " ").split() if not _is_number(word)]


def _is_number(word: str) -> bool:
    try:
        float(word)
    except ValueError:
        return False
    return True
