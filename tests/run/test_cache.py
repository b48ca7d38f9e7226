"""The kernel cache: a warm run does no SymPy work; bad entries are rebuilt."""

import os
import subprocess
import sys
from pathlib import Path

import actionc
from actionc.codegen import cache
from actionc.codegen.integrators import choose
from actionc.codegen.module import generate
from actionc.lower import lower

EXAMPLES = Path(__file__).parents[2] / "examples"

WARM_RUN = """
import sys, actionc
from actionc.cli import main
code = main(["run", sys.argv[1], "--dt", "0.01", "--steps", "10"])
print("SYMPY" if "sympy" in sys.modules else "NO-SYMPY", code)
"""


def run_in_fresh_process(cache_dir: Path, model: Path) -> str:
    environment = {**os.environ, "ACTIONC_CACHE_DIR": str(cache_dir)}
    result = subprocess.run(
        [sys.executable, "-c", WARM_RUN, str(model)], capture_output=True, text=True, env=environment
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[-1]


def test_a_second_process_imports_no_sympy(tmp_path):
    assert run_in_fresh_process(tmp_path, EXAMPLES / "pendulum.act") == "SYMPY 0"  # cold: derives and compiles
    assert run_in_fresh_process(tmp_path, EXAMPLES / "pendulum.act") == "NO-SYMPY 0"  # warm: cache only
    assert list((tmp_path / "kernels" / "__pycache__").glob("*.nbi"))  # Numba's compiled code is cached too


def test_the_same_system_generates_byte_identical_source():
    system = lower(actionc.load(EXAMPLES / "muller_brown.act"))
    integrator = choose(system, None)
    assert generate(system, integrator) == generate(lower(actionc.load(EXAMPLES / "muller_brown.act")), integrator)


def test_a_corrupted_kernel_file_is_rebuilt_not_trusted(tmp_path, monkeypatch):
    monkeypatch.setenv("ACTIONC_CACHE_DIR", str(tmp_path))
    model = tmp_path / "ou.act"
    model.write_text((EXAMPLES / "ornstein_uhlenbeck.act").read_text().replace("theta = 1", "theta = 1.25"))
    first = actionc.compile(model)
    path = first.kernel.path
    path.write_text(path.read_text().replace("def advance", "def broken_advance"))
    second = actionc.compile(model)
    assert cache.kernel_name(second.kernel.path.read_text()) == second.kernel.path.stem
    assert "def advance" in second.source
    assert second.run(dt=0.01, steps=10).x.shape == (11, 1, 1)


def test_an_index_entry_pointing_nowhere_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("ACTIONC_CACHE_DIR", str(tmp_path))
    model = tmp_path / "gbm.act"
    model.write_text((EXAMPLES / "geometric_brownian_motion.act").read_text().replace("mu = 0.05", "mu = 0.07"))
    compiled = actionc.compile(model)
    compiled.kernel.path.unlink()
    again = actionc.compile(model)
    assert again.kernel.path.is_file()


def test_the_cache_dir_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("ACTIONC_CACHE_DIR", str(tmp_path / "here"))
    assert cache.cache_dir() == tmp_path / "here"
