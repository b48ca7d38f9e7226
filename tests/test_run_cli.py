"""`actionc run`: every example with its default method, the npz contract,
and clear errors for impossible requests."""

import json
import sys

import numpy as np
import pytest

import actionc
from actionc.cli import main
from actionc.kinds import Kind
from tests.conftest import EXAMPLES


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_runs_with_its_default_method(path, capsys):
    assert main(["run", str(path), "--dt", "0.001", "--steps", "20", "--particles", "3"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{path.stem}: ") and "mean" in out


ENERGY_EXAMPLES = ["allen_cahn", "double_well", "eight_schools", "logistic_regression", "muller_brown", "two_wells"]


def test_the_energy_examples_are_listed():
    energies = sorted(p.stem for p in EXAMPLES if actionc.load(p).kind is Kind.ENERGY)
    assert energies == ENERGY_EXAMPLES


@pytest.mark.parametrize(
    "name, method",
    [
        pytest.param(name, method, marks=() if (name, method) == ("logistic_regression", "nuts") else pytest.mark.slow)
        for name in ENERGY_EXAMPLES
        for method in ("nuts", "hmc")
    ],
)
def test_both_hamiltonian_samplers_run_every_energy_example(name, method, capsys):
    """From the CLI and from Python, scalar and indexed models alike (one in
    the default run; each kernel takes seconds to compile)."""
    path = EXAMPLES[0].parent / f"{name}.act"
    argv = ["run", str(path), "--method", method, "--dt", "0.01", "--steps", "20", "--warmup", "20"]
    assert main([*argv, "--particles", "2"]) == 0
    out = capsys.readouterr().out
    assert "acceptance rate" in out and "diagnostics over 2 chains" in out and "divergent transition" in out
    result = actionc.compile(path, method).run(dt=0.01, steps=20, particles=2, warmup=20, save_every=1)
    assert np.isfinite(result.x).all() and result.meta["stats"]["proposed"] == 40 and result.meta["warmup"] == 20


def test_the_npz_holds_t_x_names_and_strict_json_meta(tmp_path):
    out = tmp_path / "run.npz"
    argv = [
        "run",
        str(EXAMPLES[0].parent / "pendulum.act"),
        "--dt",
        "0.01",
        "--t-end",
        "1",
        "--particles",
        "4",
        "--save-every",
        "10",
        "--seed",
        "3",
        "--set",
        "g=9.5",
        "--init",
        "th'=0.5",
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    with np.load(out, allow_pickle=False) as data:
        t, x, names = data["t"], data["x"], list(data["names"])
        meta = json.loads(str(data["meta"]))
    assert names == ["th", "th_dot"]
    assert x.shape == (11, 4, 2) and t[0] == 0 and t[-1] == pytest.approx(1.0)
    assert x[0, 0, 1] == 0.5
    for key in ("model", "model_hash", "method", "dt", "seed", "params", "diverged", "complete", "versions"):
        assert key in meta
    assert meta["params"]["g"] == 9.5 and meta["method"] == "leapfrog" and meta["seed"] == 3


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--method", "leapfrog"], "methods that fit"),
        (["--method", "milstien"], "unknown method"),
        (["--set", "gg=1"], "unknown parameter 'gg'"),
        (["--init", "zz=1"], "unknown state variable 'zz'"),
    ],
)
def test_impossible_requests_are_usage_errors(extra, message, capsys):
    path = EXAMPLES[0].parent / "damped_driven_oscillator.act"
    assert main(["run", str(path), "--dt", "0.01", "--steps", "10", *extra]) == 2
    assert message in capsys.readouterr().err


def test_t_end_must_be_a_whole_number_of_steps(capsys):
    path = EXAMPLES[0].parent / "pendulum.act"
    assert main(["run", str(path), "--dt", "0.3", "--t-end", "1"]) == 2
    assert "whole number of steps" in capsys.readouterr().err


def test_milstein_refuses_non_commutative_noise(tmp_path, capsys):
    path = tmp_path / "nc.act"
    path.write_text("model nc\nstate x, y\ndx = x dW1 + dW2\ndy = x dW2\n")
    assert main(["run", str(path), "--method", "milstein", "--dt", "0.01", "--steps", "10"]) == 2
    err = capsys.readouterr().err
    assert "not commutative" in err and "euler-maruyama" in err


def test_mala_reports_its_acceptance_rate(capsys):
    path = EXAMPLES[0].parent / "double_well.act"
    assert main(["run", str(path), "--method", "mala", "--dt", "0.05", "--steps", "100", "--particles", "50"]) == 0
    assert "acceptance rate" in capsys.readouterr().out


def test_scheduler_and_zarr_without_their_packages_say_what_to_install(monkeypatch, tmp_path, capsys):
    # as where actionc[dask] is not installed (None in sys.modules: their import fails)
    monkeypatch.setitem(sys.modules, "distributed", None)
    monkeypatch.setitem(sys.modules, "zarr", None)
    example = str(EXAMPLES[0].parent / "ornstein_uhlenbeck.act")
    assert main(["run", example, "--dt", "0.01", "--steps", "5", "--scheduler", "local:2"]) == 2
    assert main(["run", example, "--dt", "0.01", "--steps", "5", "--out", str(tmp_path / "run.zarr")]) == 1
    err = capsys.readouterr().err
    assert "--scheduler needs Dask" in err and "a .zarr output needs the zarr package" in err
    assert err.count('pip install "actionc[dask]"') == 2 and not (tmp_path / "run.zarr").exists()
