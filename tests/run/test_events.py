"""Events: first-passage times against exact results (Brownian motion with
drift, an Ornstein–Uhlenbeck process by quadrature, a hitting time known in
closed form), and a Poincaré section of an integrable system, which lies on
a closed curve."""

import math

import numpy as np
import pytest
from scipy import integrate

import actionc
from actionc.cli import main
from actionc.run import events
from tests.conftest import EXAMPLE_DIR

DRIFTING = """
model drifting
param mu = 1, sigma = 0.5
state x
dx = mu dt + sigma dW
"""

OU = """
model ou
param theta = 1, sigma = 1
state x
dx = -theta*x dt + sigma dW
"""

OSCILLATORS = """
model oscillators "two harmonic oscillators, frequencies 1 and sqrt(2)"
coord x, y
momentum px, py
hamiltonian = (px^2 + py^2)/2 + x^2/2 + y^2
init x = 0.5, y = 0.3, px = 0.2, py = 0.1
"""


def test_brownian_motion_with_drift_hits_a_level_at_mean_time_a_over_mu():
    compiled = actionc.compile(actionc.parse(DRIFTING), until="x > 1")
    result = compiled.run(dt=2.5e-4, steps=20_000, particles=2000, seed=3)
    tau = result.events["t_hit"]
    assert np.isfinite(tau).all()  # P(not hit by t = 5) is below 1e-12
    # the hitting time is inverse Gaussian: mean a/μ = 1, variance a σ²/μ³ = 0.25;
    # a step misses crossings between steps: the mean is late by 0.5826 σ sqrt(dt)/μ = 0.0046
    error = math.sqrt(0.25 / 2000)
    late = 0.5826 * 0.5 * math.sqrt(2.5e-4)
    assert abs(tau.mean() - late - 1.0) < 4 * error, tau.mean()
    assert abs(tau.mean() - 1.5) > 20 * error  # the test can tell another level
    stats = events.first_passage(result)
    assert stats["hits"] == 2000 and stats["mean"] == pytest.approx(tau.mean())
    assert np.all(result.events["x_hit"][:, 0] == pytest.approx(1.0, abs=1e-9))  # interpolated onto the level


def test_ornstein_uhlenbeck_mean_first_passage_time_is_the_quadrature():
    # from 0 to a = 1 for dx = −θx dt + σ dW (Gardiner §5.5):
    # T = (2/σ²) ∫_0^a exp(θy²/σ²) ∫_−∞^y exp(−θz²/σ²) dz dy
    def inner(y):  # ∫_−∞^y exp(−z²) dz, θ = σ = 1
        return math.sqrt(math.pi) / 2 * (1 + math.erf(y))

    exact = 2 * integrate.quad(lambda y: math.exp(y * y) * inner(y), 0, 1)[0]
    assert exact == pytest.approx(4.0377, abs=1e-3)
    compiled = actionc.compile(actionc.parse(OU), until="x > 1")
    result = compiled.run(dt=1e-3, steps=40_000, particles=2000, seed=4)
    stats = events.first_passage(result)
    assert stats["hits"] >= 1998  # P(T > 40) ≈ exp(−40/4.04) = 5e-5
    late = 0.5826 * math.sqrt(1e-3) * exact  # the missed crossings between steps, roughly
    assert abs(stats["mean"] - exact) < 4 * stats["mean_95"] / 1.96 + late, (stats["mean"], exact)


def test_a_hitting_time_is_interpolated_within_the_step():
    # the oscillator x = cos t crosses 0 at t = π/2; steps of 0.01 bracket it
    compiled = actionc.compile(actionc.parse(OSCILLATORS), until="x < 0")
    result = compiled.run(dt=0.01, steps=500, init={"x": 1.0, "px": 0.0})
    assert result.events["t_hit"][0] == pytest.approx(math.pi / 2, abs=1e-5)
    assert result["x"][-1, 0] < 0 and result["x"][-1, 0] == result["x"][-2, 0]  # stopped, then frozen
    start = compiled.run(dt=0.01, steps=10, init={"x": -1.0})  # it holds at the start: hit at t0
    assert start.events["t_hit"][0] == 0.0


def test_the_section_of_an_integrable_system_is_a_closed_curve():
    compiled = actionc.compile(actionc.parse(OSCILLATORS), section="x = 0, px > 0")
    result = compiled.run(dt=1e-3, steps=200_000, save_every=200_000)
    points = result.events["section_x"]
    y, py = points[:, 1], points[:, 3]
    energy_y = 0.1**2 / 2 + 0.3**2  # py²/2 + y², conserved: the curve py² + 2y² = 2 E_y
    assert len(points) == pytest.approx(200 / (2 * math.pi), abs=1)  # once per period of x
    assert np.abs(points[:, 0]).max() < 1e-6 and (points[:, 2] > 0).all()  # on the surface, one way
    assert np.abs(py**2 + 2 * y**2 - 2 * energy_y).max() < 1e-5
    assert np.abs(py**2 + y**2 - 2 * energy_y).max() > 1e-2  # the negative control: not any curve
    assert np.ptp(np.arctan2(py, math.sqrt(2) * y)) > 5  # it goes round the curve


def test_the_cli_reports_first_passage_and_writes_the_section(tmp_path, capsys):
    model = tmp_path / "drifting.act"
    model.write_text(DRIFTING)
    argv = ["run", str(model), "--dt", "1e-3", "--t-end", "1.5", "--particles", "500", "--until", "x > 1"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "first passage (x > 1): " in out and "mean first-passage time" in out and "rate (exponential" in out
    out_file = tmp_path / "hh.npz"
    henon = str(EXAMPLE_DIR / "henon_heiles.act")
    argv = ["run", henon, "--dt", "0.01", "--t-end", "50", "--section", "x = 0, px > 0", "--out", str(out_file)]
    assert main(argv) == 0
    result = actionc.Result.load(out_file)
    assert len(result.events["section_x"]) >= 3 and result.meta["event"]["section"] == "x = 0, px > 0"
    assert main(["plot", str(out_file), "--kind", "section"]) == 0
    assert (tmp_path / "hh_section.png").stat().st_size > 0


@pytest.mark.parametrize(
    ("flag", "condition", "message"),
    [
        ("--until", "z > 1", "unknown name 'z'"),
        ("--until", "x = 1", "a first passage is an inequality"),
        ("--section", "x > 0", "a section is a surface"),
        ("--until", "x > 1\nparam q = 1", "one line"),
        ("--until", "x", "expected one comparison"),
    ],
)
def test_a_bad_condition_is_a_clear_error(flag, condition, message, tmp_path, capsys):
    model = tmp_path / "drifting.act"
    model.write_text(DRIFTING)
    assert main(["run", str(model), "--dt", "1e-3", "--steps", "10", flag, condition]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
