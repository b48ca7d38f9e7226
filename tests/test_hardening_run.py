"""Regression tests of issue 19 on the run side: outputs that never destroy
what they should not, clear errors for impossible requests and crafted
result files, Ctrl-C answered within a chunk, honest divergence reports."""

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import actionc
from actionc.cli import main
from actionc.run import request, simulate
from actionc.run import result as result_module

EXAMPLES = Path(__file__).parents[1] / "examples"
DOUBLE_WELL = EXAMPLES / "double_well.act"
BLOWUP = "model blowup\nparam a = 1\nstate x\ndx = a*x^2 dt\ninit x = 1\n"  # x = 1/(1 - a t)


def run(out, *extra):
    return main(
        ["run", str(DOUBLE_WELL), "--dt", "1e-3", "--steps", "10", "--particles", "3", "--out", str(out), *extra]
    )


# ---- outputs ----------------------------------------------------------------


@pytest.mark.parametrize("device", ["/dev/null", "/dev/full"])
def test_a_device_as_out_is_refused_and_left_alone(device, capsys):
    before = os.stat(device)
    assert run(device) == 1
    err = capsys.readouterr().err
    assert "not a regular file" in err and "Traceback" not in err
    after = os.stat(device)
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino


def test_a_fifo_as_out_is_refused(tmp_path, capsys):
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    assert run(fifo) == 1
    assert "not a regular file" in capsys.readouterr().err and stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_a_directory_as_out_is_one_clear_error(tmp_path, capsys):
    assert run(tmp_path) == 1
    err = capsys.readouterr().err
    assert "is a directory" in err and "hint: name a file in it" in err


def test_a_missing_folder_is_an_error_with_a_hint_not_created(tmp_path, capsys):
    out = tmp_path / "no" / "such" / "run.npz"
    assert run(out) == 1
    err = capsys.readouterr().err
    assert "does not exist" in err and f"mkdir -p {out.parent}" in err
    assert not (tmp_path / "no").exists()


def test_a_read_only_folder_is_one_clear_error(tmp_path, capsys, monkeypatch):
    # root may write anywhere: make the folder's refusal what os reports
    monkeypatch.setattr(result_module.os, "access", lambda path, mode: False)
    assert run(tmp_path / "run.npz") == 1
    err = capsys.readouterr().err
    assert "not writable" in err and "Traceback" not in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_really_read_only_folder_is_one_clear_error(tmp_path, capsys):
    folder = tmp_path / "ro"
    folder.mkdir(mode=0o555)
    assert run(folder / "run.npz") == 1
    assert "not writable" in capsys.readouterr().err


def test_a_failing_write_says_how_to_rerun_and_keeps_the_old_file(tmp_path, capsys, monkeypatch):
    out = tmp_path / "run.npz"
    out.write_bytes(b"old")

    def full(handle, **arrays):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(result_module.np, "savez", full)
    assert run(out) == 1
    captured = capsys.readouterr()
    assert "No space left on device" in captured.err and "same command with --out" in captured.err
    assert "mean" in captured.out  # the computed result is shown, not silently lost
    assert out.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["run.npz"]


def test_a_full_disk_under_ulimit_is_one_clear_error(tmp_path):
    out = tmp_path / "big.npz"
    assert run(out) == 0  # compiles the kernel into the session's cache
    out.unlink()
    command = [sys.executable, "-m", "actionc.cli", "run", str(DOUBLE_WELL), "--dt", "1e-3", "--steps", "100"]
    command += ["--particles", "1000", "--out", str(out)]
    limited = subprocess.run(
        ["bash", "-c", 'ulimit -f 16 && exec "$@"', "bash", *command], capture_output=True, text=True, timeout=120
    )
    assert limited.returncode == 1, limited.stderr
    assert "File too large" in limited.stderr and "Traceback" not in limited.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_replacing_a_file_keeps_its_mode(tmp_path):
    out = tmp_path / "run.npz"
    out.write_bytes(b"old")
    out.chmod(0o644)
    assert run(out) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    with np.load(out, allow_pickle=False) as data:
        assert data["x"].shape == (11, 3, 2)


def test_a_new_file_gets_the_mode_the_umask_allows(tmp_path):
    previous = os.umask(0o022)
    try:
        assert run(tmp_path / "run.npz") == 0
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "run.npz").stat().st_mode) == 0o644


def test_a_symlink_is_followed_the_link_stays(tmp_path):
    target, link = tmp_path / "target.npz", tmp_path / "link.npz"
    target.write_bytes(b"old")
    link.symlink_to(target.name)
    assert run(link) == 0
    assert link.is_symlink() and os.readlink(link) == target.name
    with np.load(target, allow_pickle=False) as data:
        assert "x" in data


def test_a_stale_temporary_of_a_dead_process_is_removed_by_the_next_write(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / f".run.npz.{int(dead.stdout)}.tmp"
    stale.write_bytes(b"half a file")
    alive = tmp_path / f".run.npz.{os.getppid()}.tmp"  # a live process's: it may still be writing
    alive.write_bytes(b"in progress")
    assert run(tmp_path / "run.npz") == 0
    assert not stale.exists() and alive.exists()


class _CtrlCAfterTwoChunks(simulate._CtrlC):
    """Ctrl-C, as the run sees it, after its second chunk."""

    looks = 0

    @property
    def pressed(self):
        type(self).looks += 1
        return type(self).looks > 2

    @pressed.setter
    def pressed(self, value):
        pass


@pytest.fixture
def ctrl_c(monkeypatch):
    _CtrlCAfterTwoChunks.looks = 0
    monkeypatch.setattr(simulate, "_CtrlC", _CtrlCAfterTwoChunks)


def test_ctrl_c_never_replaces_a_complete_result(tmp_path, capsys, ctrl_c):
    out = tmp_path / "run.npz"
    out.write_bytes(b"a complete result")
    assert run(out, "--steps", "1000000", "--save-every", "1000") == 130  # 2 chunks: at most 17 × 33333 steps
    err = capsys.readouterr().err
    partial = tmp_path / "run.partial.npz"
    assert f"wrote {partial}" in err and f"{out} is left as it was" in err
    assert out.read_bytes() == b"a complete result"
    with np.load(partial, allow_pickle=False) as data:
        meta = json.loads(str(data["meta"]))
        assert meta["complete"] is False and 0 < meta["steps"] < 1000000
        assert data["t"][-1] == pytest.approx(meta["steps"] * 1e-3)


def test_ctrl_c_writes_the_output_itself_when_there_was_none(tmp_path, capsys, ctrl_c):
    out = tmp_path / "run.npz"
    assert run(out, "--steps", "1000000", "--save-every", "1000") == 130  # 2 chunks: at most 17 × 33333 steps
    assert not (tmp_path / "run.partial.npz").exists()
    with np.load(out, allow_pickle=False) as data:
        assert json.loads(str(data["meta"]))["complete"] is False


def test_an_interrupted_run_ends_with_the_state_where_it_stopped(ctrl_c):
    compiled = actionc.compile(DOUBLE_WELL)
    whole = compiled.run(dt=1e-3, steps=14, particles=4, save_every=14, chunk_steps=14)  # one look, not pressed
    _CtrlCAfterTwoChunks.looks = 0
    result = compiled.run(dt=1e-3, steps=1000, particles=4, save_every=1000, chunk_steps=7)
    assert result.meta["complete"] is False and result.meta["steps"] == 14
    assert list(result.t) == pytest.approx([0.0, 0.014])
    assert np.array_equal(result.x[-1], whole.x[-1])


# ---- the chunks of a run ----------------------------------------------------------------


@pytest.mark.parametrize("chunk", [1, 7, 100, 333])
def test_chunks_shorter_than_a_save_interval_give_identical_bits(chunk):
    compiled = actionc.compile(EXAMPLES / "stochastic_lorenz.act")
    settings = dict(dt=1e-3, steps=400, particles=8, seed=7, save_every=100)
    whole = compiled.run(**settings, chunk_steps=400).x
    assert np.array_equal(compiled.run(**settings, chunk_steps=chunk).x, whole)


def test_a_diverging_particle_freezes_at_the_same_save_whatever_the_chunks(tmp_path):
    path = tmp_path / "blowup.act"
    path.write_text(BLOWUP)
    compiled = actionc.compile(path, "rk4")
    settings = dict(dt=0.01, steps=200, particles=3, params={"a": np.array([1.0, 0.0, 2.0])}, save_every=10)
    whole = compiled.run(**settings, chunk_steps=200)
    pieces = compiled.run(**settings, chunk_steps=3)
    assert np.array_equal(whole.x, pieces.x) and whole.meta["failures"] == pieces.meta["failures"]


def test_the_chunk_plan_covers_each_step_once_and_saves_on_the_grid():
    for save_every in (1, 5, 100):
        done, saves = 0, []
        for size in [1, 4, 16, 3, 64, 256, 7, 1000] * 3:
            count, local_every, rows = simulate._chunk(done, min(size, 600 - done), save_every)
            saves += [done + (k + 1) * local_every for k in range(rows)]
            assert rows == 0 or (done + rows * local_every) % save_every == 0
            done += count
            if done == 600:
                break
        assert done == 600 and saves == list(range(save_every, 601, save_every))


# ---- requests ----------------------------------------------------------------------------


def test_an_end_time_of_too_many_steps_is_a_usage_error(capsys):
    assert main(["run", str(DOUBLE_WELL), "--dt", "1e-300", "--t-end", "1e300"]) == 2
    err = capsys.readouterr().err
    assert "too many steps" in err and "Traceback" not in err


def test_a_prime_number_of_steps_finds_its_summary_saves_quickly():
    from actionc.run.request import default_save_every as _summary_save_every

    assert _summary_save_every(1_000_000_007) == 1_000_000_007  # prime: the first and the last save
    assert _summary_save_every(1000) == 10


# ---- divergence -------------------------------------------------------------------------


def test_the_summary_leaves_out_diverged_particles_without_warnings(tmp_path, recwarn):
    path = tmp_path / "blowup.act"
    path.write_text(BLOWUP)
    compiled = actionc.compile(path, "rk4")
    result = compiled.run(dt=0.01, steps=200, particles=3, params={"a": np.array([1.0, 0.0, 2.0])}, save_every=10)
    summary = result.summary()
    assert "inf" not in summary and "nan" not in summary
    assert "2 particle(s) diverged" in summary and "1 summarized" in summary
    row = next(line for line in summary.splitlines() if line.strip().startswith("x "))
    assert row.split()[1:] == ["1", "0"]  # a = 0: x stays 1
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_a_diverging_particle_spoils_neither_the_invariants_nor_their_plot(tmp_path, recwarn):
    # V = q²/2 − q⁴/4: q = 0.5 oscillates in the well, q = 3 is pushed to infinity in finite time
    path = tmp_path / "quartic.act"
    path.write_text("model quartic\ncoord q\nlagrangian = q'^2/2 - q^2/2 + q^4/4\n")
    compiled = actionc.compile(path, "rk4")
    result = compiled.run(dt=0.01, steps=2000, particles=2, init={"q": np.array([0.5, 3.0])}, save_every=10)
    assert result.diverged == 1 and "energy" in result.invariant_names
    summary = result.summary()
    assert "1 summarized" in summary and " nan" not in summary and " inf" not in summary
    pytest.importorskip("matplotlib")
    from actionc.plot import plot

    plot(result, "invariants", tmp_path / "drift.png")
    assert (tmp_path / "drift.png").stat().st_size > 0
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_first_diverged_is_the_earliest_step_not_the_lowest_index(tmp_path, capsys):
    path = tmp_path / "blowup.act"
    path.write_text(BLOWUP)
    compiled = actionc.compile(path, "rk4")
    result = compiled.run(dt=0.01, steps=200, particles=3, params={"a": np.array([1.0, 0.0, 2.0])}, save_every=10)
    steps = [f["step"] for f in result.meta["failures"]]
    assert steps == sorted(steps) and result.meta["failures"][0]["particle"] == 2  # a = 2 blows up at t = 1/2


def test_the_cli_names_the_earliest_divergence_first(tmp_path, capsys):
    # x = x0 / (1 - x0 t) from x0 in [1, 3]: the particles that start highest blow up first, whatever their index
    path = tmp_path / "blowup.act"
    path.write_text(BLOWUP.replace("init x = 1", "init x = uniform(1, 3)"))
    argv = ["run", str(path), "--method", "rk4", "--dt", "0.01", "--steps", "200", "--particles", "40", "--seed", "1"]
    assert main(argv) == 0
    err = capsys.readouterr().err
    failures = actionc.compile(path, "rk4").run(dt=0.01, steps=200, particles=40, seed=1).meta["failures"]
    step = {f["particle"]: f["step"] for f in failures}
    earliest = min(step.values())
    assert step[0] > earliest  # the lowest index is not the first to diverge
    named = int(err.split("first: particle ")[1].split()[0])
    assert step[named] == earliest and f"at step {earliest}," in err


# ---- flags ------------------------------------------------------------------------------------


def test_a_negative_particle_count_asks_for_at_least_one(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["run", str(DOUBLE_WELL), "--dt", "1e-3", "--steps", "3", "--particles", "-5"])
    assert exit_.value.code == 2 and "expected a whole number ≥ 1, got '-5'" in capsys.readouterr().err


@pytest.mark.parametrize("flags", [["--dt=-1e-3"], ["--dt", "-1e-3"], ["--dt", "-1"]])
def test_a_negative_time_step_is_refused_saying_why(flags, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["run", str(DOUBLE_WELL), *flags, "--steps", "3"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "a time step must be positive" in err and "expected one argument" not in err


def test_negative_numbers_argparse_reads_itself_are_left_alone(capsys):
    assert main(["critical", str(DOUBLE_WELL), "--box", "-2", "2"]) == 0
    assert "critical point(s) of E in [-2, 2]^2" in capsys.readouterr().out


@pytest.mark.parametrize(
    "example, assignment, message",
    [
        ("double_well", "T=-1", "the temperature is -1, and must be ≥ 0"),
        ("langevin_oscillator", "T=-1", "the temperature is -1, and must be ≥ 0"),  # checked directly
        ("langevin_oscillator", "gamma=-1", "the noise is not a number"),
    ],
)
def test_a_negative_temperature_or_friction_is_an_error_at_set(example, assignment, message, capsys):
    argv = ["run", str(EXAMPLES / f"{example}.act"), "--dt", "1e-3", "--steps", "3", "--set", assignment]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"--set {assignment}: {message}" in err and "diverged" not in err


def test_a_positive_temperature_still_runs(capsys):
    assert main(["run", str(EXAMPLES / "langevin_oscillator.act"), "--dt", "1e-3", "--steps", "3", "--set", "T=2"]) == 0


def test_the_memory_guard_counts_particle_states_and_streams_not_only_saves(capsys, tmp_path):
    # 2 saves × 1.2e8 particles × 2 states is 3.6 GiB of saves, under the limit; the particles'
    # states, streams and counters take 8 GiB more: refused before anything is allocated
    # (with --out: a summary-only run would run them in batches, actionc.run.summary)
    argv = ["run", str(DOUBLE_WELL), "--dt", "1e-3", "--steps", "1", "--particles", "120000000"]
    argv += ["--out", str(tmp_path / "run.npz")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "would need 11.7 GiB" in err and "saves 3.6" in err and "random streams 8.2" in err


def test_the_memory_guard_counts_the_invariants():
    # the fields of a KernelMeta the guard reads
    meta = SimpleNamespace(
        state=("q", "q_dot"), invariants=("energy",) * 10, control_length=lambda n: 0, stats=(), params=()
    )
    request.check_memory(meta, n_saves=1000, particles=20_000, swept=False)  # 0.3 + 3.0 GiB: under 4
    with pytest.raises(actionc.errors.RunError, match="invariants 14.9"):
        request.check_memory(meta, n_saves=1000, particles=100_000, swept=False)


# ---- crafted result files --------------------------------------------------------------


@pytest.fixture(scope="module")
def saved_runs(tmp_path_factory):
    """A real run of the pendulum (lagrangian) and of the double well (energy), as arrays."""
    folder = tmp_path_factory.mktemp("runs")
    runs = {}
    for name in ("pendulum", "double_well"):
        out = folder / f"{name}.npz"
        argv = ["run", str(EXAMPLES / f"{name}.act"), "--dt", "0.01", "--steps", "20", "--particles", "3"]
        assert main([*argv, "--out", str(out)]) == 0
        with np.load(out, allow_pickle=False) as data:
            runs[name] = {key: data[key] for key in data.files}
    return runs


def _meta(arrays, **changes):
    meta = json.loads(str(arrays["meta"]))
    meta.update(changes)
    return {**arrays, "meta": np.array(json.dumps(meta), dtype=np.str_)}


def _meta_without(arrays, key):
    meta = json.loads(str(arrays["meta"]))
    del meta[key]
    return np.array(json.dumps(meta), dtype=np.str_)


CRAFTED = {
    "meta not an object": lambda a: {**a, "meta": np.array("[1, 2]", dtype=np.str_)},
    "meta not JSON": lambda a: {**a, "meta": np.array("{model", dtype=np.str_)},
    "meta deeply nested": lambda a: {**a, "meta": np.array("[" * 100_000 + "]" * 100_000, dtype=np.str_)},
    "no model key": lambda a: {**a, "meta": _meta_without(a, "model")},
    "model not a string": lambda a: _meta(a, model=3),
    "1-D x": lambda a: {**a, "x": a["x"][:, 0, 0]},
    "x of other saves": lambda a: {**a, "x": a["x"][:-1]},
    "NaN in x": lambda a: {**a, "x": np.where(a["x"] == a["x"].flat[0], np.nan, a["x"])},
    "empty names": lambda a: {**a, "names": np.array(["", ""], dtype=np.str_)},
    "no names": lambda a: {k: v for k, v in a.items() if k != "names"},
    "names of other length": lambda a: {**a, "names": np.array(["q"], dtype=np.str_)},
    "t not increasing": lambda a: {**a, "t": a["t"][::-1]},
    "particles miscounted": lambda a: _meta(a, particles=7),
    "a parameter not a number": lambda a: _meta(a, params={"T": "hot"}),
    "a failure of no particle": lambda a: _meta(a, failures=[{"particle": 99}], diverged=1),
}


def _write(path, arrays):
    np.savez(path, **arrays)
    return path


def _commands(name, path):
    model = str(EXAMPLES / f"{name}.act")
    yield ["plot", str(path), "--out", str(path.with_suffix(".png"))]
    yield ["action", model, str(path)]
    if name == "pendulum":
        yield ["path", model, "--from", "th=0", "--to", "th=1", "--t-end", "1", "--nodes", "20", "--guess", str(path)]


@pytest.mark.parametrize("case", CRAFTED)
def test_every_crafted_result_file_is_one_clear_error(case, saved_runs, tmp_path, capsys):
    for name, arrays in saved_runs.items():
        path = _write(tmp_path / f"{name}.npz", CRAFTED[case](arrays))
        for argv in _commands(name, path):
            assert main(argv) == 1, (case, argv)
            err = capsys.readouterr().err
            assert f"{path}: error: not a result of actionc run:" in err and "Traceback" not in err, (case, argv)


@pytest.mark.parametrize(
    "content",
    [b"", b"garbage, not a zip", b"PK\x03\x04 a cut zip"],
    ids=["empty file", "garbage", "cut zip"],
)
def test_a_file_that_is_no_npz_is_one_clear_error(content, saved_runs, tmp_path, capsys):
    path = tmp_path / "pendulum.npz"
    path.write_bytes(content)
    for argv in _commands("pendulum", path):
        assert main(argv) == 1, argv
        assert "not a result of actionc run" in capsys.readouterr().err


def test_a_single_array_is_no_result(tmp_path, capsys):
    path = tmp_path / "x.npz"
    with open(path, "wb") as handle:
        np.save(handle, np.zeros(3))
    assert main(["plot", str(path)]) == 1
    assert "a single array, not an .npz archive" in capsys.readouterr().err


def test_bad_model_text_in_meta_is_a_clear_error_of_plot(saved_runs, tmp_path, capsys):
    path = _write(tmp_path / "dw.npz", _meta(saved_runs["double_well"], source="model ?? broken"))
    assert main(["plot", str(path), "--kind", "histogram", "--out", str(tmp_path / "h.png")]) == 1
    err = capsys.readouterr().err
    assert "the model text in its meta does not load" in err and "<string>:1:" in err


def test_parameters_of_another_model_in_meta_are_clear_errors(saved_runs, tmp_path, capsys):
    arrays = _meta(saved_runs["double_well"], params={"nope": 1.0})
    path = _write(tmp_path / "dw.npz", arrays)
    assert main(["plot", str(path), "--out", str(tmp_path / "h.png")]) == 1
    assert "are not its model's" in capsys.readouterr().err
    assert main(["action", str(DOUBLE_WELL), str(path)]) == 2
    assert "not this model's" in capsys.readouterr().err


def test_a_guess_of_another_model_is_refused(saved_runs, tmp_path, capsys):
    path = _write(tmp_path / "dw.npz", saved_runs["double_well"])
    argv = [
        "path",
        str(EXAMPLES / "pendulum.act"),
        "--from",
        "th=0",
        "--to",
        "th=1",
        "--t-end",
        "1",
        "--guess",
        str(path),
    ]
    assert main(argv) == 1
    assert "does not begin with the coordinates (th)" in capsys.readouterr().err


def test_the_real_results_still_load_plot_and_act(saved_runs, tmp_path, capsys):
    for name, arrays in saved_runs.items():
        path = _write(tmp_path / f"{name}.npz", arrays)
        for argv in _commands(name, path):
            assert main(argv) == 0, argv


# ---- a parameter named like a state variable ----------------------------------------------


PARAM_X = {
    "lagrangian": "model px\nparam x = 2\ncoord q\nlagrangian = x*q'^2/2 - q^2/2\ninit q = 1\n",
    "energy": "model ex\nparam x = 2, T = 1\nstate y\nenergy = x*y^2/2\ntemperature = T\n",
}


@pytest.mark.parametrize("kind", PARAM_X)
def test_a_parameter_named_x_runs_and_plots(kind, tmp_path, capsys):
    model = tmp_path / "m.act"
    model.write_text(PARAM_X[kind])
    out = tmp_path / "m.npz"
    assert main(["run", str(model), "--dt", "0.01", "--steps", "10", "--particles", "20", "--out", str(out)]) == 0
    assert main(["plot", str(out)]) == 0
    compiled = actionc.compile(model)
    name = "lagrangian" if kind == "lagrangian" else "energy"
    state = np.array([1.0, 1.0]) if kind == "lagrangian" else np.array([1.0])
    assert compiled.function(name)(state, x=4.0) == pytest.approx(4 / 2 - 1 / 2 if kind == "lagrangian" else 4 / 2)


# ---- derivations the CLI asks for ---------------------------------------------------------


def test_degenerate_noise_that_only_simplifies_to_singular_has_no_path_action(tmp_path, capsys):
    # D = g gᵀ has det ≠ 0 as written, but sin² + cos² = 1 makes the two rows of g equal
    model = tmp_path / "deg.act"
    model.write_text("model deg\nstate x, y\ndx = -x dt + dW1 + dW2\ndy = -y dt + (sin(x)^2 + cos(x)^2) dW1 + dW2\n")
    assert main(["derive", str(model)]) == 0
    assert "Freidlin" not in capsys.readouterr().out
    assert main(["derive", str(model), "--what", "freidlin_wentzell"]) == 2
    assert "'freidlin_wentzell' does not apply" in capsys.readouterr().err


# ---- models beyond what Numba compiles ----------------------------------------------------------


def _decay(n: int) -> str:
    names = ", ".join(f"x{i}" for i in range(n))
    return f"model wide\nstate {names}\n" + "".join(f"dx{i} = -x{i} dt + dW{i}\n" for i in range(n))


@pytest.mark.slow  # tens of seconds of LLVM each
@pytest.mark.parametrize("n, method", [(31, "rk4"), (27, "dopri5")])
def test_models_beyond_thirty_state_variables_compile_now(n, method, tmp_path, capsys):
    # they were refused (Numba's tuple limit) until tuples over 30 items were written as sums of tuples
    model = tmp_path / "wide.act"
    model.write_text(_decay(n).replace(" + dW", " # dW"))  # an ODE: 31 noises cost 20 s of SymPy
    assert main(["run", str(model), "--dt", "0.01", "--steps", "2", "--method", method]) == 0


@pytest.mark.slow  # about 35 s on a loaded 2-core machine (7 s SymPy, 14 s Numba typing, 10 s LLVM)
def test_128_coupled_sdes_compile_and_run(tmp_path):
    # above 8 draws a step normal() is a call, not inlined at each draw: 30 such SDEs took 100 s before
    n = 128
    model = tmp_path / "wide.act"
    model.write_text(
        f"model wide\nstate {', '.join(f'x{i}' for i in range(n))}\n"
        + "".join(f"dx{i} = (-x{i} + 0.1*sin(x{(i + 1) % n})) dt + 0.3 dW{i}\n" for i in range(n))
    )
    result = actionc.compile(model).run(dt=0.01, steps=200, particles=64, seed=1, save_every=200)
    assert result.x.shape == (2, 64, n)
    # at t = 2 from 0, each x is near N(0, 0.3²/2 (1 − e⁻⁴)), std 0.210 (the coupling adds about 1%)
    assert abs(result.x[-1].std() - 0.210) < 0.03  # 8192 draws: the std's own error is about 0.002


def test_numbas_tuple_limit_is_recognized_by_its_frame_and_nothing_else():
    def peep_hole_list_to_tuple():  # the name of the Numba rewrite that asserts on long tuples
        raise AssertionError

    try:
        peep_hole_list_to_tuple()
    except AssertionError as error:
        assert simulate.beyond_tuple_limit(error)
    try:
        raise AssertionError("any other assertion")
    except AssertionError as error:
        assert not simulate.beyond_tuple_limit(error)


# ---- the other commands' outputs --------------------------------------------------------------


def test_path_out_onto_a_directory_is_refused_before_the_work(tmp_path, capsys):
    argv = ["path", str(DOUBLE_WELL), "--from", "x=-1", "y=0", "--to", "x=1", "y=0", "--out", str(tmp_path)]
    assert main(argv) == 1
    err = capsys.readouterr()
    assert "is a directory" in err.err and err.out == ""


def test_likelihood_out_into_a_missing_folder_is_refused_before_the_work(tmp_path, capsys):
    points = tmp_path / "points.npy"
    np.save(points, np.zeros((2, 1)))
    out = tmp_path / "no" / "logp.npy"
    assert main(["likelihood", str(EXAMPLES / "ou_reverse.act"), str(points), "--out", str(out)]) == 1
    assert f"mkdir -p {out.parent}" in capsys.readouterr().err


def test_likelihood_writes_exactly_the_path_it_is_given(tmp_path, capsys):
    points = tmp_path / "points.npy"
    np.save(points, np.zeros((2, 1)))
    out = tmp_path / "logp"  # np.save would have written logp.npy
    assert main(["likelihood", str(EXAMPLES / "ou_reverse.act"), str(points), "--out", str(out)]) == 0
    assert np.load(out).shape == (2,)


def test_emit_says_when_it_creates_a_folder_and_refuses_a_file_in_its_place(tmp_path, capsys):
    out = tmp_path / "new" / "c"
    assert main(["emit", str(DOUBLE_WELL), "--out", str(out)]) == 0
    assert f"created {out}/" in capsys.readouterr().err and (out / "double_well.c").exists()
    blocked = tmp_path / "file"
    blocked.write_text("x")
    assert main(["emit", str(DOUBLE_WELL), "--out", str(blocked)]) == 1
    assert "cannot create the folder" in capsys.readouterr().err and blocked.read_text() == "x"


def test_an_array_header_claiming_petabytes_is_one_clear_error(tmp_path, capsys):
    import io
    import zipfile

    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (10**7,) * 3})
    path = tmp_path / "huge.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("x.npy", header.getvalue())
        for key, value in {"t": np.arange(3.0), "names": np.array(["a"]), "meta": np.array("{}")}.items():
            member = io.BytesIO()
            np.save(member, value)
            archive.writestr(f"{key}.npy", member.getvalue())
    assert main(["plot", str(path)]) == 1
    assert "not a result of actionc run" in capsys.readouterr().err
