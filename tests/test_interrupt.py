"""Ctrl-C during `actionc run` still writes what it has, marked incomplete."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np

from tests.conftest import EXAMPLE_DIR

EXAMPLE = EXAMPLE_DIR / "double_well.act"


def test_an_interrupted_run_writes_its_saves_marked_incomplete(tmp_path):
    environment = {**os.environ, "ACTIONC_CACHE_DIR": str(tmp_path / "cache")}
    command = [sys.executable, "-m", "actionc.cli", "run", str(EXAMPLE), "--dt", "1e-3"]
    subprocess.run([*command, "--steps", "10"], env=environment, check=True, capture_output=True)  # compile
    out = tmp_path / "long.npz"
    process = subprocess.Popen(
        [*command, "--steps", "100000000", "--particles", "2000", "--save-every", "1000", "--out", str(out)],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # as from a terminal: a test run launched in the background (`pytest &`) ignores SIGINT,
        # and a child inherits that, so Python would not turn Ctrl-C into KeyboardInterrupt
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    time.sleep(2.0)
    process.send_signal(signal.SIGINT)
    try:
        _, err = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
        raise AssertionError(f"no exit 60 s after Ctrl-C; stderr:\n{err[-3000:]}") from None
    assert process.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    with np.load(out, allow_pickle=False) as data:
        meta = json.loads(str(data["meta"]))
        x, t = data["x"], data["t"]
    assert meta["complete"] is False
    assert x.shape[0] == t.shape[0] >= 2 and np.isfinite(x).all()
    assert meta["steps"] == (t.shape[0] - 1) * 1000


def test_ctrl_c_without_out_is_answered_within_a_chunk_of_a_tenth_of_a_second():
    # without --out a run saves every steps/100 steps: 10^6 steps of 2000 particles, seconds
    # of compute that Ctrl-C used to wait for; now the chunks are about 0.1 s whatever the saves
    environment = dict(os.environ)  # the session's kernel cache: usually warm
    command = [sys.executable, "-m", "actionc.cli", "run", str(EXAMPLE), "--dt", "1e-3"]
    subprocess.run([*command, "--steps", "10"], env=environment, check=True, capture_output=True)  # compile
    process = subprocess.Popen(
        [*command, "--steps", "100000000", "--particles", "2000"],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    time.sleep(3.0)
    sent = time.perf_counter()
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    latency = time.perf_counter() - sent
    assert process.returncode == 130, err
    assert latency < 2.0, f"{latency:.1f} s from Ctrl-C to exit"  # 0.1 s chunks, plus exit, on a loaded machine
    header = out.splitlines()[0]
    assert "[incomplete: interrupted]" in header and "(t = 0)" not in header  # the state where it stopped


def test_ctrl_c_during_a_samplers_warm_up_stops_it_within_a_chunk():
    # 10^8 warm-up draws of NUTS would take hours: they run in chunks, as the steps, and Ctrl-C ends them
    environment = dict(os.environ)
    command = [sys.executable, "-m", "actionc.cli", "run", str(EXAMPLE), "--method", "nuts", "--dt", "0.1"]
    subprocess.run([*command, "--steps", "10"], env=environment, check=True, capture_output=True)  # compile
    process = subprocess.Popen(
        [*command, "--steps", "100", "--warmup", "100000000", "--particles", "100"],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    time.sleep(3.0)
    sent = time.perf_counter()
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    latency = time.perf_counter() - sent
    assert process.returncode == 130, err
    assert latency < 2.0, f"{latency:.1f} s from Ctrl-C to exit"
    assert "[incomplete: interrupted]" in out.splitlines()[0] and "Traceback" not in err
