"""A diverging particle is frozen at its last finite state and reported;
the run completes and never returns a NaN."""

import json

import numpy as np

import actionc
from actionc.cli import main

BLOWUP = "model blowup\nparam a = 1\nstate x\ndx = a*x^2 dt\ninit x = 1\n"  # x = 1/(1 - t): infinite at t = 1


def test_a_diverging_particle_is_frozen_and_reported(tmp_path):
    path = tmp_path / "blowup.act"
    path.write_text(BLOWUP)
    compiled = actionc.compile(path, "rk4")
    result = compiled.run(dt=0.01, steps=200, particles=3, params={"a": np.array([1.0, 0.0, 2.0])}, save_every=10)
    assert np.isfinite(result.x).all()
    assert result.diverged == 2
    failures = {f["particle"]: f for f in result.meta["failures"]}
    assert set(failures) == {0, 2}
    assert 90 < failures[0]["step"] <= 110 and failures[0]["reason"] == "diverged"
    assert failures[2]["time"] < failures[0]["time"]
    frozen = result.x[:, 0, 0]
    last = frozen[-1]
    assert np.all(frozen[-5:] == last) and last > 1e3
    assert np.all(result.x[:, 1, 0] == 1.0)  # a = 0: x stays 1


def test_the_cli_warns_writes_and_exits_0(tmp_path, capsys):
    path = tmp_path / "blowup.act"
    path.write_text(BLOWUP)
    out = tmp_path / "out.npz"
    code = main(
        ["run", str(path), "--method", "rk4", "--dt", "0.01", "--steps", "200", "--particles", "2", "--out", str(out)]
    )
    assert code == 0
    assert "diverged" in capsys.readouterr().err
    with np.load(out, allow_pickle=False) as data:
        assert np.isfinite(data["x"]).all()
        meta = json.loads(str(data["meta"]))
    assert meta["diverged"] == 2 and meta["complete"] is True
