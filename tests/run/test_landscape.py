"""Energy landscapes: critical points against the literature, and the
Eyring–Kramers rate against the rate measured from compiled Langevin runs."""

from pathlib import Path

import numpy as np
import pytest

import actionc
from actionc.cli import main
from actionc.run import landscape

EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.fixture(scope="module")
def muller_brown():
    return actionc.compile(EXAMPLES / "muller_brown.act")


def test_muller_brown_has_its_three_minima_and_two_saddles(muller_brown):
    points = landscape.critical_points(muller_brown, [-1.5, -0.5], [1.2, 2.0])
    kinds = [p.kind for p in points]
    assert kinds.count("minimum") == 3 and kinds.count("saddle") == 2
    # Müller & Brown, Theor. Chim. Acta 53 (1979): energies of the stationary points
    expected = [-146.700, -108.167, -80.768, -72.249, -40.665]
    assert [p.energy for p in points] == pytest.approx(expected, abs=1e-3)
    assert points[0].x == pytest.approx([-0.558, 1.442], abs=1e-3)


def first_passage_rate(compiled, dt, t_end, particles, start, target, radius, params, every=50):
    """The escape rate from first passages into a ball around `target`,
    censored at t_end: the exponential maximum-likelihood estimate
    (passages / total time at risk)."""
    steps = round(t_end / dt)
    result = compiled.run(
        dt=dt,
        steps=steps,
        particles=particles,
        seed=5,
        save_every=every,
        params=params,
        init=dict(zip(compiled.names, start)),
        invariants=False,
    )
    inside = np.linalg.norm(result.x - np.asarray(target), axis=2) < radius
    passed = inside.any(axis=0)
    times = np.where(passed, result.t[inside.argmax(axis=0)], t_end)
    return passed.sum() / times.sum(), passed.mean()


def test_kramers_rate_of_the_double_well_matches_simulation():
    compiled = actionc.compile(EXAMPLES / "double_well.act")
    points = landscape.critical_points(compiled, -2, 2, params={"T": 0.2})
    minimum, saddle = points[0], next(p for p in points if p.index == 1)
    predicted = landscape.kramers_rate(minimum, saddle, temperature=0.2)  # barrier 5 T
    measured, fraction = first_passage_rate(compiled, 2e-3, 500.0, 2000, (-1, 0), (1, 0), 0.1, {"T": 0.2})
    assert fraction > 0.9
    # Kramers' law holds up to O(T/ΔE) corrections: within 25% here
    assert measured / predicted == pytest.approx(1.0, abs=0.25), (measured, predicted)


def test_kramers_rate_of_a_muller_brown_transition_matches_simulation(muller_brown):
    # from the shallow middle minimum over the lower saddle into the second
    # minimum: barrier 8.52 = 5.7 T at T = 1.5 (its other way out is 26.7 T high)
    points = landscape.critical_points(muller_brown, [-1.5, -0.5], [1.2, 2.0], params={"T": 1.5})
    second, middle, saddle = points[1], points[2], points[3]
    predicted = landscape.kramers_rate(middle, saddle, temperature=1.5)
    measured, fraction = first_passage_rate(
        muller_brown, 1e-4, 10.0, 1000, middle.x, second.x, 0.1, {"T": 1.5}, every=100
    )
    assert fraction > 0.9
    assert measured / predicted == pytest.approx(1.0, abs=0.25), (measured, predicted)


def test_the_critical_command_lists_points_and_rates(capsys):
    assert main(["critical", str(EXAMPLES / "double_well.act"), "--set", "T=0.2", "--box", "-2", "2"]) == 0
    out = capsys.readouterr().out
    assert "minimum" in out and "saddle" in out and "rate 0.006066" in out


def test_the_critical_command_needs_an_energy_model(capsys):
    assert main(["critical", str(EXAMPLES / "ornstein_uhlenbeck.act")]) == 2
    assert "energy model" in capsys.readouterr().err
