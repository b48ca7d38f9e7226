"""`actionc density` and the plot of its result: output, npz conventions, errors."""

import json
import sys

import numpy as np
import pytest

from actionc.cli import main
from tests.conftest import EXAMPLE_DIR, EXAMPLES


def test_density_writes_t_p_the_axes_and_meta_like_a_run(tmp_path, capsys):
    out = tmp_path / "ou.npz"
    args = ["density", str(EXAMPLE_DIR / "ornstein_uhlenbeck.act"), "--grid", "x=-2:3:100", "--t-end", "1"]
    assert (
        main([*args, "--dt", "0.01", "--save-every", "25", "--stationary", "--eigenvalues", "3", "--out", str(out)])
        == 0
    )
    printed = capsys.readouterr().out
    assert "ornstein_uhlenbeck: Fokker–Planck on x in [-2, 3] (100 cells, reflecting)" in printed
    assert "slowest rates" in printed
    with np.load(out, allow_pickle=False) as data:
        assert list(data["t"]) == [0.0, 0.25, 0.5, 0.75, 1.0]
        assert data["p"].shape == (5, 100) and data["x"].shape == (100,)
        assert np.allclose(data["p"].sum(axis=1) * 0.05, 1, atol=1e-12)
        meta = json.loads(str(data["meta"]))
        assert meta["command"] == "density" and meta["model"] == "ornstein_uhlenbeck"
        assert data["rates"][0] == pytest.approx(0, abs=1e-9) and data["rates"][1] == pytest.approx(1, rel=0.01)


def test_plot_draws_a_density_with_a_run_over_it(tmp_path):
    density, run = tmp_path / "dw.npz", tmp_path / "run.npz"
    model = str(EXAMPLE_DIR / "double_well.act")
    assert (
        main(["density", model, "--grid", "x=-2:2:40,y=-3:3:30", "--t-end", "1", "--dt", "0.1", "--out", str(density)])
        == 0
    )
    assert main(["run", model, "--dt", "0.01", "--t-end", "1", "--particles", "200", "--out", str(run)]) == 0
    assert main(["plot", str(density), "--run", str(run), "--out", str(tmp_path / "fig.png")]) == 0
    assert (tmp_path / "fig.png").stat().st_size > 10_000


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--grid", "x=-2:2", "--t-end", "1"], "--grid: expected x=LOW:HIGH:CELLS, got 'x=-2:2'"),
        (["--grid", "q=-2:2:10", "--t-end", "1"], "--grid: unknown state variable 'q'"),
        (["--grid", "x=2:-2:10", "--t-end", "1"], "--grid: x needs finite LOW < HIGH"),
        (["--boundary", "x=sticky", "--t-end", "1"], "--boundary: unknown boundary 'sticky' for x"),
        (["--t-end", "1", "--dt", "0.3"], "t_end 1 is not a whole number of steps of dt 0.3"),
        (["--t-end", "1", "--set", "nope=1"], "unknown parameter 'nope'"),
        ([], "give --t-end, --stationary or --eigenvalues"),
    ],
)
def test_bad_requests_exit_2_with_a_message(flags, message, capsys):
    assert main(["density", str(EXAMPLE_DIR / "ornstein_uhlenbeck.act"), *flags]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_a_model_without_noise_or_with_too_many_variables_is_refused(capsys):
    assert main(["density", str(EXAMPLE_DIR / "pendulum.act"), "--t-end", "1"]) == 2
    assert "'pendulum' has no noise" in capsys.readouterr().err
    assert main(["density", str(EXAMPLE_DIR / "chain6.act"), "--t-end", "1"]) == 2
    assert "no noise" in capsys.readouterr().err


def test_a_model_error_exits_1_with_its_location(tmp_path, capsys):
    bad = tmp_path / "bad.act"
    bad.write_text("model bad\nstate x\ndx = y dt + dW\n")
    assert main(["density", str(bad), "--t-end", "1"]) == 1
    assert f"{bad}:3:" in capsys.readouterr().err


def test_an_initial_density_from_a_file(tmp_path, capsys):
    start = tmp_path / "p0.npy"
    np.save(start, np.r_[np.zeros(50), np.ones(50)])
    args = ["density", str(EXAMPLE_DIR / "ornstein_uhlenbeck.act"), "--grid", "x=-2:3:100", "--t-end", "0.01"]
    assert main([*args, "--init-density", str(start)]) == 0
    assert "x at t = 0.01: mean 1.7" in capsys.readouterr().out  # the uniform on [0.5, 3] has mean 1.75
    np.save(start, np.ones(7))
    assert main([*args, "--init-density", str(start)]) == 2
    assert "the initial density has shape (7,), the grid (100,)" in capsys.readouterr().err


def test_a_singular_drift_or_a_huge_grid_is_a_clear_error(tmp_path, capsys):
    singular = tmp_path / "singular.act"
    singular.write_text("model singular\nstate x\ndx = -x dt + sqrt(x) dW\ninit x = 1\n")
    assert main(["density", str(singular), "--grid", "x=-1:2:30", "--t-end", "1"]) == 2
    err = capsys.readouterr().err
    assert "the noise is not real at x = -0.95 (t = 0)" in err and "Traceback" not in err
    singular.write_text("model singular\nstate x\ndx = 1/x dt + dW\ninit x = 1\n")
    assert main(["density", str(singular), "--grid", "x=-1:2:30", "--t-end", "1"]) == 2
    assert "the drift along x is not finite at x = 0 (t = 0)" in capsys.readouterr().err
    huge = ["--grid", "x=-3:3:3000,y=-3:3:3000", "--t-end", "1"]
    assert main(["density", str(EXAMPLE_DIR / "double_well.act"), *huge]) == 2
    assert "a grid of 9000000 cells is too large" in capsys.readouterr().err


def test_density_output_follows_the_output_rules(tmp_path, capsys):
    # a directory in place of --out is refused before the work, with exit 1
    assert main(["density", str(EXAMPLE_DIR / "double_well.act"), "--t-end", "0.1", "--out", str(tmp_path)]) == 1
    assert "is a directory" in capsys.readouterr().err
    out = tmp_path / "p.npz"
    out.write_bytes(b"")
    out.chmod(0o640)
    assert main(["density", str(EXAMPLE_DIR / "ornstein_uhlenbeck.act"), "--t-end", "0.1", "--out", str(out)]) == 0
    assert out.stat().st_mode & 0o777 == 0o640  # replaced in place, its mode kept


@pytest.mark.parametrize("content", [b"", b"PK\x03\x04cut", b"not an archive"])
def test_plotting_a_damaged_density_file_is_one_clear_error(tmp_path, capsys, content):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(content)
    from actionc.errors import ResultFileError
    from actionc.run.density import DensityResult

    with pytest.raises(ResultFileError):
        DensityResult.load(bad)


@pytest.mark.parametrize("kind", ["npz", "strings"])
def test_an_initial_density_that_is_not_a_numeric_array_is_a_clear_error(tmp_path, capsys, kind):
    start = tmp_path / ("p0.npz" if kind == "npz" else "p0.npy")
    if kind == "npz":
        np.savez(start, p=np.ones(100))
    else:
        np.save(start, np.array(["a"] * 100))
    args = ["density", str(EXAMPLE_DIR / "ornstein_uhlenbeck.act"), "--grid", "x=-2:3:100", "--t-end", "0.01"]
    assert main([*args, "--init-density", str(start)]) == (1 if kind == "npz" else 2)
    err = capsys.readouterr().err
    assert ("not one array" if kind == "npz" else "initial density must be an array of numbers") in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "where, error",
    [
        ("eigs", "arpack"),  # shift-invert Arnoldi that does not converge
        ("splu", "memory"),  # a factorization that does not fit
    ],
)
def test_a_solver_that_fails_is_a_clear_error(monkeypatch, capsys, where, error):
    import scipy.sparse.linalg as linalg

    def fail(*args, **kwargs):
        if error == "arpack":
            raise linalg.ArpackNoConvergence("ARPACK error -1: No convergence", np.array([]), np.array([]))
        raise MemoryError

    monkeypatch.setattr(linalg, where, fail)
    args = ["density", str(EXAMPLE_DIR / "ornstein_uhlenbeck.act"), "--grid", "x=-2:3:50", "--eigenvalues", "3"]
    assert main([*args, "--t-end", "0.1"]) == 2
    err = capsys.readouterr().err
    assert "actionc density: error:" in err and "Traceback" not in err


def test_requests_that_cannot_be_met_are_refused_before_the_time_integration(monkeypatch, capsys):
    from actionc.run.density import evolve

    def no_steps(*args, **kwargs):
        raise AssertionError("the time integration ran")

    monkeypatch.setattr(evolve, "implicit_euler", no_steps)
    widening = ["density", str(EXAMPLE_DIR / "widening_noise.act"), "--grid", "x=-8:8:50", "--t-end", "1"]
    # a time-dependent operator has no stationary density and no decay rates (its spectrum moves)
    assert main([*widening, "--stationary"]) == 2
    assert "stationary density needs" in capsys.readouterr().err
    assert main([*widening, "--eigenvalues", "2"]) == 2
    assert "time-dependent" in capsys.readouterr().err
    ou = ["density", str(EXAMPLE_DIR / "ornstein_uhlenbeck.act"), "--t-end", "1", "--boundary", "x=absorbing"]
    assert main([*ou, "--grid", "x=-2:3:50", "--stationary"]) == 2
    assert "stationary density needs" in capsys.readouterr().err
    # 512² cells × 1001 saves × 8 B = 2.1 GB; with a lower limit it is refused before anything is allocated
    monkeypatch.setattr(sys.modules["actionc.run.density.solve"], "MAX_MEMORY_GB", 1)
    dw = ["density", str(EXAMPLE_DIR / "double_well.act"), "--grid", "x=-2:2:512,y=-3:3:512", "--t-end", "1"]
    assert main([*dw, "--save-every", "1"]) == 2
    assert "would need 2.0 GiB of memory" in capsys.readouterr().err


def test_the_default_saves_are_about_a_hundred():
    import actionc
    from actionc.lower import lower
    from actionc.run.density import solve

    model = actionc.load(str(EXAMPLE_DIR / "ornstein_uhlenbeck.act"))
    result = solve(lower(model), grid="x=-2:3:20", t_end=1.0, dt=1e-4)
    assert len(result.t) == 101 and result.meta["save_every"] == 100


def test_actionc_density_solves_a_model_file_or_a_model_as_the_command_does(tmp_path, capsys):
    import actionc

    path = EXAMPLE_DIR / "ornstein_uhlenbeck.act"
    options = dict(grid="x=-2:3:100", t_end=1.0, dt=0.01, eigenvalues=2)
    from_file = actionc.density(path, **options)
    from_model = actionc.density(actionc.load(str(path)), **options)
    assert from_file.meta["source"] == path.read_text() == from_model.meta["source"]
    assert from_file.rates[1] == pytest.approx(1, rel=0.01) and np.array_equal(from_file.p, from_model.p)
    out = tmp_path / "ou.npz"
    assert main(["density", str(path), "--grid", "x=-2:3:100", "--t-end", "1", "--dt", "0.01", "--out", str(out)]) == 0
    with np.load(out) as data:
        assert np.array_equal(data["p"], from_file.p)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_with_noise_takes_a_step_and_every_other_is_refused_clearly(path, capsys):
    # issue 16: density works on every 1–3-D SDE and energy example; one implicit
    # step on a coarse grid over the default box (12 cells per axis)
    import actionc
    from actionc.methods import decode
    from actionc.pipeline import system
    from actionc.run.density import discretize

    model = actionc.load(str(path))
    if model.is_indexed:
        assert main(["density", str(path), "--t-end", "0.01"]) == 2  # a request this model cannot take
        err = capsys.readouterr().err
        assert "not supported for indexed models" in err and "Traceback" not in err
        return
    lowered = system(model, decode(None))
    if not lowered.is_stochastic:
        assert main(["density", str(path), "--t-end", "0.01"]) == 2
        err = capsys.readouterr().err
        assert "has no noise" in err and "Traceback" not in err
        return
    if len(lowered.state) > 3:  # underdamped Langevin in 2-D, the eight schools: particles only
        assert main(["density", str(path), "--t-end", "0.01"]) == 2
        err = capsys.readouterr().err
        assert "solved in 1 to 3" in err and "Traceback" not in err
        return
    box = discretize(lowered).grid.axes
    result = actionc.density(path, grid={a.name: (a.low, a.high, 12) for a in box}, t_end=0.01, dt=0.01)
    assert result.p.shape == (2, *(12,) * len(box)) and np.all(np.isfinite(result.p))
    assert abs(result.mass()[-1] - 1) < 1e-12
