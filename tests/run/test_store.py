"""Zarr stores as results (`--out run.zarr`), locally, without Dask: the
arrays and meta of the npz, read back as they were written, refused when
they are not a finished run's. Skipped where zarr is not installed."""

import json
import subprocess
import sys

import numpy as np
import pytest

import actionc
from actionc.errors import OutputError, ResultFileError
from actionc.run import store
from actionc.run.result import Result, partial_output
from tests.conftest import EXAMPLE_DIR

zarr = pytest.importorskip("zarr")


@pytest.fixture(scope="module")
def pendulum_run():
    model = actionc.compile(EXAMPLE_DIR / "pendulum.act")
    return model.run(dt=1e-2, steps=40, particles=5, save_every=10, init={"th": np.linspace(0.1, 1.0, 5)})


def test_a_result_saved_as_a_store_loads_back_as_it_was(pendulum_run, tmp_path):
    pendulum_run.save(tmp_path / "run.zarr")
    loaded = Result.load(tmp_path / "run.zarr")
    assert np.array_equal(loaded.x, pendulum_run.x) and np.array_equal(loaded.t, pendulum_run.t)
    assert loaded.names == pendulum_run.names and loaded.meta == pendulum_run.meta
    assert np.array_equal(loaded.invariants, pendulum_run.invariants) and loaded.invariant_names == ["energy"]
    assert not list(tmp_path.glob(".run.zarr.*"))  # the temporary store was moved into place


def test_a_store_is_chunked_along_particles_for_parallel_writers(tmp_path):
    folder = store.begin(
        tmp_path / "run.zarr", t=np.arange(3.0), particles=10, names=["x"], invariant_names=[], chunk_particles=4
    )
    group = zarr.open_group(str(folder), mode="r")
    assert group["x"].chunks == (3, 4, 1) and group["x"].shape == (3, 10, 1)


def test_a_store_without_meta_is_not_a_finished_run(pendulum_run, tmp_path):
    pendulum_run.save(tmp_path / "run.zarr")
    group = zarr.open_group(str(tmp_path / "run.zarr"), mode="r+")
    del group.attrs["meta"]
    with pytest.raises(ResultFileError, match="without meta"):
        Result.load(tmp_path / "run.zarr")


def test_a_store_with_a_wrong_shape_is_refused_as_a_result_file(pendulum_run, tmp_path):
    pendulum_run.save(tmp_path / "run.zarr")
    group = zarr.open_group(str(tmp_path / "run.zarr"), mode="r+")
    meta = json.loads(group.attrs["meta"])
    group.attrs["meta"] = json.dumps(meta | {"particles": 6})
    with pytest.raises(ResultFileError, match="6 particle"):
        Result.load(tmp_path / "run.zarr")


def test_a_folder_that_is_not_a_store_is_never_replaced(pendulum_run, tmp_path):
    (tmp_path / "data.zarr").mkdir()
    (tmp_path / "data.zarr" / "precious.txt").write_text("keep")
    with pytest.raises(OutputError, match="not a Zarr store"):
        pendulum_run.save(tmp_path / "data.zarr")
    assert (tmp_path / "data.zarr" / "precious.txt").read_text() == "keep"


def test_a_store_replaces_an_older_store(pendulum_run, tmp_path):
    pendulum_run.save(tmp_path / "run.zarr")
    shorter = Result(pendulum_run.t[:2], pendulum_run.x[:2], pendulum_run.names, pendulum_run.meta)
    shorter.save(tmp_path / "run.zarr")
    assert Result.load(tmp_path / "run.zarr").x.shape[0] == 2


def test_an_interrupted_run_beside_a_store_goes_to_a_partial_store():
    assert partial_output("out/run.zarr").name == "run.partial.zarr"
    assert partial_output("out/run.npz").name == "run.partial.npz"


def test_cli_writes_a_store_without_dask(tmp_path):
    example = EXAMPLE_DIR / "ornstein_uhlenbeck.act"
    command = [sys.executable, "-m", "actionc.cli", "run", str(example), "--dt", "0.01", "--steps", "20"]
    done = subprocess.run([*command, "--particles", "7", "--out", str(tmp_path / "ou.zarr")], capture_output=True)
    assert done.returncode == 0, done.stderr
    local = actionc.compile(example).run(dt=0.01, steps=20, particles=7)  # --out saves every step
    assert np.array_equal(Result.load(tmp_path / "ou.zarr").x, local.x)


def test_cli_particles_per_task_needs_a_scheduler():
    example = EXAMPLE_DIR / "ornstein_uhlenbeck.act"
    command = [sys.executable, "-m", "actionc.cli", "run", str(example), "--dt", "0.01", "--steps", "20"]
    done = subprocess.run([*command, "--particles-per-task", "3"], capture_output=True, text=True)
    assert done.returncode == 2 and "--particles-per-task needs --scheduler" in done.stderr
