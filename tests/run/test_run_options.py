"""Run options a newcomer expects (issue 20, item 3): a start time, distributions in
--init, parameter sweeps from the command line, summary runs that keep few saves, Ctrl-C
that counts the steps done, no abbreviated flags, and a Python run() that says what it takes."""

import inspect
import math
import os
import signal
import threading

import numpy as np
import pytest
from scipy import special

import actionc
from actionc.cli import flags, main
from actionc.run import request
from tests.conftest import EXAMPLE_DIR

DOUBLE_WELL = EXAMPLE_DIR / "double_well.act"

# Su, Boyd & Candès 2016: L = t^3 (x'^2/2 - f(x)) gives x'' + (3/t) x' + f'(x) = 0,
# singular at t = 0; for f = x^2/2 from x(0) = 1, x'(0) = 0 the solution is 2 J1(t)/t.
NESTEROV = """
model nesterov
coord x
lagrangian = t^3*(x'^2/2 - x^2/2)
init x = 1
"""


@pytest.fixture(scope="module")
def nesterov():
    return actionc.compile(actionc.parse(NESTEROV))


def test_a_start_time_runs_nesterovs_ode_to_its_bessel_solution(nesterov):
    t0 = 1e-3  # x(t0) = 1 - t0^2/8 + …: the start differs from the exact one by 1e-7
    result = nesterov.run(dt=1e-3, steps=5000, t0=t0, save_every=1000)
    assert result.t[0] == t0 and result.t[-1] == pytest.approx(t0 + 5.0)
    exact = 2 * special.j1(result.t) / result.t
    assert np.abs(result["x"][:, 0] - exact).max() < 1e-5  # rk4 at dt 1e-3: ~1e-12; the start: 1e-7
    assert result.meta["t0"] == t0


def test_without_a_start_time_nesterovs_ode_is_singular(nesterov):
    # the negative control of the test above: from t = 0, 3/t is infinite at the first step
    result = nesterov.run(dt=1e-3, steps=10)
    assert result.diverged == 1


def test_the_cli_start_time_shows_in_the_summary(capsys):
    assert main(["run", str(DOUBLE_WELL), "--dt", "0.01", "--steps", "10", "--t0", "2"]) == 0
    assert "(t = 2 to 2.1)" in capsys.readouterr().out


def test_a_distribution_in_init_is_drawn_per_particle(capsys):
    compiled = actionc.compile(DOUBLE_WELL)
    n = 40_000
    result = compiled.run(dt=1e-3, steps=0, particles=n, init={"x": "normal(2.94, 0.05)", "y": "uniform(-1, 3)"})
    x, y = result["x"][0], result["y"][0]
    # the mean of n normal draws is within 5 standard errors; the std's standard error is σ/√(2n)
    assert abs(x.mean() - 2.94) < 5 * 0.05 / math.sqrt(n)
    assert abs(x.std() - 0.05) < 5 * 0.05 / math.sqrt(2 * n)
    assert y.min() >= -1 and y.max() <= 3 and abs(y.mean() - 1) < 5 * 4 / math.sqrt(12 * n)
    smaller = compiled.run(dt=1e-3, steps=0, particles=10, init={"x": "normal(2.94, 0.05)"})
    assert np.array_equal(smaller["x"][0], x[:10])  # particle i draws the same value in a run of any size
    assert main(["run", str(DOUBLE_WELL), "--dt", "0.01", "--steps", "0", "--init", "x=normal(3, 0)"]) == 0
    assert capsys.readouterr().out.splitlines()[2].split()[:3] == ["x", "3", "0"]  # mean 3, std 0


def test_a_distribution_in_init_that_is_not_one_is_refused(capsys):
    with pytest.raises(SystemExit) as raised:
        main(["run", str(DOUBLE_WELL), "--dt", "0.01", "--steps", "1", "--init", "x=norm(0, 1)"])
    assert raised.value.code == 2
    assert "normal(MEAN, STD)" in capsys.readouterr().err
    with pytest.raises(actionc.RunError, match="standard deviation"):
        actionc.compile(DOUBLE_WELL).run(dt=0.1, steps=1, init={"x": "normal(0, -1)"})


def test_a_sweep_value_list_and_range_read_as_their_values():
    assert flags.sweep("w=50,100,200") == ("w", (50.0, 100.0, 200.0))
    name, values = flags.sweep("w=50:200:16")
    assert name == "w" and len(values) == 16 and values[0] == 50 and values[-1] == 200
    assert np.allclose(np.diff(values), 10)
    assert flags.sweep("w=3") == ("w", 3.0)


def test_a_sweep_from_the_cli_runs_each_value_and_groups_the_summary(capsys, tmp_path):
    out = tmp_path / "sweep.npz"
    argv = ["run", str(DOUBLE_WELL), "--dt", "0.01", "--steps", "300", "--particles", "400", "--seed", "1"]
    assert main([*argv, "--set", "T=0.05,2", "--init", "x=1"]) == 0
    text = capsys.readouterr().out
    assert "800 particle(s)" in text and "T = 0.05 (400 particle(s)):" in text and "T = 2 (400 particle(s)):" in text
    assert main([*argv, "--set", "T=0.05,2", "--init", "x=1", "--out", str(out)]) == 0
    result = actionc.Result.load(out)
    T = np.array(result.meta["params"]["T"])
    assert np.array_equal(T, np.repeat([0.05, 2.0], 400))
    final = result["y"][-1]
    # y is an OU process with stationary variance T (E = y^2/2): the spreads tell the values apart
    assert final[T == 0.05].var() == pytest.approx(0.05, rel=0.25)
    assert final[T == 2].var() == pytest.approx(2.0, rel=0.25)


def test_the_python_run_keeps_about_a_hundred_saves_by_default():
    result = actionc.compile(DOUBLE_WELL).run(dt=1e-3, steps=1000, particles=2)
    assert len(result.t) == 101 and result.meta["save_every"] == 10
    every = actionc.compile(DOUBLE_WELL).run(dt=1e-3, steps=10, particles=2, save_every=1)
    assert len(every.t) == 11


def test_a_summary_run_too_large_for_its_saves_keeps_the_first_and_last(monkeypatch, capsys):
    # 2000 particles × 2 state × 101 saves × 8 bytes = 3.2 MB: over a limit of 1 MiB; two saves fit
    monkeypatch.setattr(request, "MAX_MEMORY_GB", 2**-10)
    assert main(["run", str(DOUBLE_WELL), "--dt", "0.01", "--steps", "100", "--particles", "2000"]) == 0
    assert "100 steps" in capsys.readouterr().out
    result = actionc.compile(DOUBLE_WELL).run(dt=0.01, steps=100, particles=2000)
    assert len(result.t) == 2
    with pytest.raises(actionc.RunError, match="memory"):  # an explicit save_every is kept, and refused
        actionc.compile(DOUBLE_WELL).run(dt=0.01, steps=100, particles=2000, save_every=1)


def test_a_keyboard_interrupt_counts_the_chunk_that_was_running():
    # Python's own SIGINT handler (as in a notebook's worker thread or under another handler):
    # the interrupt lands after a kernel call, which has done its steps by then
    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, interrupt)
    timer = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT))
    try:
        timer.start()
        result = actionc.compile(DOUBLE_WELL).run(dt=1e-4, steps=10**12, particles=1, threads=1, save_every=10**11)
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert result.meta["complete"] is False and result.meta["steps"] > 0
    assert result.t[-1] == pytest.approx(result.meta["steps"] * 1e-4)


@pytest.mark.parametrize(("flag", "close"), [("--step", "--steps"), ("--nparticles", "--particles")])
def test_an_abbreviated_or_misspelt_flag_is_refused_by_the_command(flag, close, capsys):
    with pytest.raises(SystemExit) as raised:
        main(["run", str(DOUBLE_WELL), "--dt", "0.01", flag, "100"])
    assert raised.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: actionc run") and f"did you mean {close}?" in err


def test_run_spells_out_its_options():
    parameters = inspect.signature(actionc.Compiled.run).parameters
    for name in ("particles", "seed", "params", "init", "save_every", "t0", "threads", "rtol", "warmup"):
        assert name in parameters and name in actionc.Compiled.run.__doc__
    with pytest.raises(TypeError, match="Compiled.run"):
        actionc.compile(DOUBLE_WELL).run(dt=0.1, steps=1, t_zero=1)


def test_likelihood_of_a_model_without_a_density_says_what_a_likelihood_needs(tmp_path, capsys):
    points = tmp_path / "points.npy"
    np.save(points, np.zeros((2, 2)))
    assert main(["likelihood", str(DOUBLE_WELL), str(points)]) == 1
    assert "a likelihood needs an SDE model with noise and a density" in capsys.readouterr().err
