"""Ensembles on a Dask cluster (a LocalCluster of worker processes here):
bit-identical to a local run for every method, whatever the workers and
the range size; a killed worker changes nothing; a worker that cannot load
the kernel fails the run with its own error; Zarr output read back by
xarray, plot and action. Skipped where Dask is not installed."""

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import actionc
from actionc.errors import ClusterError, RunError
from actionc.pipeline import compile_text
from actionc.run.result import Result
from tests.conftest import EXAMPLE_DIR

# functions sent to workers (client.run) travel by value: a worker of an
# installed actionc cannot import this test module
cloudpickle = pytest.importorskip("cloudpickle")
cloudpickle.register_pickle_by_value(sys.modules[__name__])

distributed = pytest.importorskip("distributed")
pytest.importorskip("zarr")

GBM_STRATONOVICH = (
    (EXAMPLE_DIR / "geometric_brownian_motion.act").read_text().replace("state S", "state S\nnoise stratonovich")
)

# every integrator, and every sampler of a model with a density, on a model it fits
METHODS = [
    ("pendulum", "euler"),
    ("pendulum", "rk4"),
    ("pendulum", "dopri5"),
    ("henon_heiles", "leapfrog"),
    ("henon_heiles", "yoshida4"),
    ("henon_heiles", "implicit-midpoint"),
    ("pendulum", "variational"),
    ("pendulum", "variational-trapezoid"),
    ("geometric_brownian_motion", "euler-maruyama"),
    ("geometric_brownian_motion", "milstein"),
    (None, "heun"),
    ("ornstein_uhlenbeck", "sra1"),
    ("langevin_oscillator", "baoab"),
    ("double_well", "mala"),
    ("double_well", "hmc"),
    ("double_well", "nuts"),
    ("bimodal_ve", "reverse-em"),
    ("bimodal_ve", "pc"),
    ("bimodal_ve", "pf-rk4"),
    ("bimodal_ve", "pf-dopri5"),
]


def compiled(example: str | None, method: str):
    if example is None:
        return compile_text(GBM_STRATONOVICH, method)
    return actionc.compile(EXAMPLE_DIR / f"{example}.act", method)


@pytest.fixture(scope="module")
def client():
    # worker processes inherit ACTIONC_CACHE_DIR (conftest): they load what this process compiled
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster:
        with distributed.Client(cluster) as client:
            yield client


def same(local: Result, remote: Result) -> None:
    assert np.array_equal(local.x, remote.x) and np.array_equal(local.t, remote.t)
    if local.invariants is not None:
        assert np.array_equal(local.invariants, remote.invariants)
    assert {k: v for k, v in remote.meta.items() if k != "scheduler"} == local.meta


@pytest.mark.parametrize("example, method", METHODS)
def test_a_distributed_run_is_bit_identical_to_the_local_run(client, example, method):
    model = compiled(example, method)
    settings = dict(dt=0.01 if model.meta.direction.value == "forward" else 0.02, steps=20, particles=23, seed=5)
    local = model.run(save_every=5, **settings)
    remote = model.run(save_every=5, client=client, particles_per_task=7, **settings)  # 7 does not divide 23
    same(local, remote)
    assert remote.meta["scheduler"] | {"address": ""} == {
        "address": "",
        "workers": 2,
        "threads": 2,
        "particles_per_task": 7,
        "tasks": 4,
    }


@pytest.mark.parametrize("size", [1, 4, 23, 100])
def test_the_range_size_never_changes_the_numbers(client, size):
    # NUTS: adaptive warm-up per chain, and trees of a size that depends on the draws
    model = compiled("double_well", "nuts")
    settings = dict(dt=0.02, steps=20, particles=23, seed=8, warmup=30)
    same(model.run(**settings), model.run(client=client, particles_per_task=size, **settings))


def test_a_sweep_with_divergences_merges_as_the_local_run_reports_it(client):
    # Euler–Maruyama in the double well with a large step: some particles
    # diverge; their numbers, steps and counts must be those of a local run
    model = compiled("double_well", "euler-maruyama")
    temperatures = np.linspace(0.1, 3.0, 40)
    settings = dict(dt=0.3, steps=30, particles=40, seed=2, params={"T": temperatures}, init={"y": np.arange(40.0)})
    local = model.run(**settings)
    assert 0 < local.diverged < 40  # the test covers renumbering only if some diverge and some do not
    remote = model.run(client=client, particles_per_task=6, **settings)
    same(local, remote)
    assert np.array_equal(local.failed, remote.failed)


def test_initial_values_drawn_per_particle_are_those_of_the_local_run(client):
    # each range draws its particles' values of the one stream of the run,
    # not the stream's first values (which every range would share)
    model = compiled("double_well", "euler-maruyama")
    settings = dict(dt=0.01, steps=5, particles=30, seed=4, init={"x": "normal(0, 1)"})
    local = model.run(**settings)
    same(local, model.run(client=client, particles_per_task=7, **settings))
    assert len(np.unique(local.x[0, :, 0])) == 30


def test_a_bad_request_fails_as_it_does_locally(client):
    model = compiled("double_well", "euler-maruyama")
    with pytest.raises(RunError, match="unknown parameter 'Tt'") as raised:
        model.run(dt=0.01, steps=10, particles=4, params={"Tt": 1.0}, client=client)
    assert "did you mean 'T'" in str(raised.value)  # the hint survives the trip from the worker


def test_a_killed_worker_changes_nothing():
    model = compiled("double_well", "euler-maruyama")
    settings = dict(dt=1e-3, steps=10000, particles=8000, seed=3, save_every=2500)
    local = model.run(**settings)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster:
        with distributed.Client(cluster) as client:
            pids = client.run(os.getpid)
            running = ThreadPoolExecutor(1).submit(model.run, client=client, particles_per_task=500, **settings)
            victim = None
            deadline = time.monotonic() + 60
            while victim is None and time.monotonic() < deadline:  # a worker with a range in flight
                busy = [worker for worker, keys in client.processing().items() if keys and worker in pids]
                victim = busy[0] if busy else None
                time.sleep(0.05)
            assert victim is not None, "no range ever ran"
            os.kill(pids[victim], signal.SIGKILL)
            remote = running.result(timeout=120)
    same(local, remote)


def test_a_worker_that_cannot_load_the_kernel_fails_the_run_with_its_error():
    model = compiled("ornstein_uhlenbeck", "euler-maruyama")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=":0") as cluster:
        with distributed.Client(cluster) as client:
            client.run(_lose_numba)  # as a worker without numba installed
            address = next(iter(client.scheduler_info()["workers"]))
            started = time.monotonic()
            with pytest.raises(ClusterError) as raised:
                model.run(dt=0.01, steps=10, particles=8, client=client)
    assert time.monotonic() - started < 30  # an error, not a hang
    message = str(raised.value)
    assert address in message and "cannot load the kernel" in message and "numba" in message


def _lose_numba():
    """Whether or not this worker has imported Numba yet, it cannot now."""
    for name in ["numba", *(name for name in sys.modules if name.startswith(("numba.", "actionc_kernels")))]:
        sys.modules[name] = None


def test_a_run_written_by_the_workers_to_zarr_is_the_local_run(client, tmp_path):
    model = compiled("langevin_oscillator", "baoab")
    settings = dict(dt=0.01, steps=50, particles=30, seed=9, save_every=10)
    local = model.run(**settings)
    remote = model.run(client=client, particles_per_task=8, out=str(tmp_path / "run.zarr"), **settings)
    assert np.array_equal(remote.x[...], local.x)  # the Result returned reads the store
    same(local, Result.load(tmp_path / "run.zarr"))
    xarray = pytest.importorskip("xarray")
    with xarray.open_zarr(tmp_path / "run.zarr") as data:
        assert data.x.dims == ("time", "particle", "state") and data.x.chunks[1] == (8, 8, 8, 6)
        assert np.array_equal(data.x.values, local.x) and json.loads(data.attrs["meta"])["seed"] == 9


def test_a_bad_local_scheduler_is_a_usage_error():
    from actionc.run.distributed import connect

    with pytest.raises(RunError, match="local:N"):
        with connect("local:zero"):
            pass


def cli(*arguments, **options):
    return subprocess.run(
        [sys.executable, "-m", "actionc.cli", *map(str, arguments)], capture_output=True, text=True, **options
    )


def test_cli_on_a_running_scheduler_writes_a_zarr_store_that_plot_and_action_read(client, tmp_path):
    example = EXAMPLE_DIR / "double_well.act"
    common = [example, "--dt", "1e-3", "--steps", "200", "--particles", "300", "--seed", "4", "--save-every", "20"]
    local = compiled("double_well", None).run(dt=1e-3, steps=200, particles=300, seed=4, save_every=20)
    local.meta["source"] = example.read_text()  # as the CLI's compile keeps it
    address = client.scheduler.address  # tcp://127.0.0.1:PORT, as `dask scheduler` prints it
    remote = cli("run", *common, "--out", tmp_path / "run.zarr", "--scheduler", address, "--particles-per-task", "64")
    assert remote.returncode == 0, remote.stderr
    same(local, Result.load(tmp_path / "run.zarr"))
    meta = Result.load(tmp_path / "run.zarr").meta["scheduler"]
    assert (meta["workers"], meta["particles_per_task"], meta["tasks"]) == (2, 64, 5)
    plotted = cli("plot", tmp_path / "run.zarr", "--out", tmp_path / "run.png")
    assert plotted.returncode == 0 and (tmp_path / "run.png").stat().st_size > 0, plotted.stderr
    action = cli("action", example, tmp_path / "run.zarr")
    assert action.returncode == 0 and "actions of 300 trajectories" in action.stdout, action.stderr


def test_cli_says_when_it_cannot_reach_the_scheduler():
    done = cli("run", EXAMPLE_DIR / "double_well.act", "--dt", "0.01", "--steps", "10", "--scheduler", "nowhere")
    assert done.returncode == 1 and "cannot reach the Dask scheduler at nowhere" in done.stderr
    assert "Traceback" not in done.stderr


def test_cli_refuses_threads_with_a_scheduler():
    example = EXAMPLE_DIR / "double_well.act"
    done = cli("run", example, "--dt", "0.01", "--steps", "10", "--scheduler", "local:1", "--threads", "2")
    assert done.returncode == 2 and "--threads is for local runs" in done.stderr


def test_ctrl_c_keeps_the_finished_ranges_marked_incomplete(tmp_path):
    example = EXAMPLE_DIR / "double_well.act"
    model = compiled("double_well", None)  # in the cache the CLI reads (conftest): it starts warm
    out = tmp_path / "run.zarr"
    settings = ["--dt", "1e-3", "--steps", "20000", "--save-every", "10000", "--seed", "6"]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "actionc.cli",
            "run",
            example,
            *settings,
            "--particles",
            "200000",
            "--particles-per-task",
            "500",
            "--scheduler",
            "local:2",
            "--out",
            out,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a process group of its own, the workers' too, as a terminal's job
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as from a terminal (test_interrupt.py)
    )
    deadline = time.monotonic() + 60
    while not any(tmp_path.glob(".run.zarr.*.tmp/x/c/0/0/0")) and time.monotonic() < deadline:
        time.sleep(0.1)  # until the first range is in the store (the cluster starts, the kernel loads)
    time.sleep(1.0)  # and some more of the 400 ranges, about 0.1 s each
    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C reaches the whole group: the workers must not die of it
    try:
        _, err = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
        raise AssertionError(f"no exit 60 s after Ctrl-C; stderr:\n{err[-3000:]}") from None
    assert process.returncode == 130 and "interrupted" in err and "Traceback" not in err, err
    kept = Result.load(out)
    particles = kept.meta["particles"]
    assert kept.meta["complete"] is False and kept.meta["particles_requested"] == 200000
    assert 0 < particles < 200000 and particles % 500 == 0
    last = model.run(dt=1e-3, steps=20000, save_every=10000, seed=6, particles=500, first_particle=particles - 500)
    assert np.array_equal(kept.x[:, -500:], last.x)  # the last range kept is whole and right
