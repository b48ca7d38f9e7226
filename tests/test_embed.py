"""Embedding: emitted C99 compiles warning-free and agrees with the Numba
kernels; cfuncs and Numba functions are usable from other code."""

import ctypes
import shutil
import subprocess
from pathlib import Path

import numba
import numpy as np
import pytest

import actionc
from actionc.cli import main
from tests.conftest import EXAMPLE_DIR, SCALAR_EXAMPLES
from tests.run.reference import Stream

STRICT = ["gcc", "-Wall", "-Wextra", "-Werror", "-std=c99", "-O2"]
needs_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")

DRIVER = r"""
#include <stdio.h>
#include <stdlib.h>
#include "NAME.h"

/* usage: driver STEPS DT x0 x1 ...: integrate with STEP from t = 0, print the state */
int main(int argc, char **argv)
{
    double x[UPPER_N_STATE], p[UPPER_N_PARAMS > 0 ? UPPER_N_PARAMS : 1];
    long steps = atol(argv[1]), k;
    double dt = atof(argv[2]);
    int i;
    if (argc != 3 + UPPER_N_STATE) return 2;
    for (i = 0; i < UPPER_N_STATE; i++) x[i] = atof(argv[3 + i]);
    for (i = 0; i < UPPER_N_PARAMS; i++) p[i] = NAME_default_params[i];
    for (k = 0; k < steps; k++) NAME_STEP(x, k * dt, dt, p);
    for (i = 0; i < UPPER_N_STATE; i++) printf("%.17g\n", x[i]);
    return 0;
}
"""


def emit(name: str, tmp_path: Path, method: str | None = None) -> Path:
    options = ["--method", method] if method else []
    assert main(["emit", str(EXAMPLE_DIR / f"{name}.act"), "--out", str(tmp_path), *options]) == 0
    return tmp_path


def driver(name: str, step: str, tmp_path: Path, method: str | None = None) -> Path:
    emit(name, tmp_path, method)
    source = DRIVER.replace("UPPER", name.upper()).replace("NAME_STEP", f"{name}_{step}").replace("NAME", name)
    (tmp_path / "driver.c").write_text(source)
    program = tmp_path / "driver"
    subprocess.run(
        [*STRICT, str(tmp_path / "driver.c"), str(tmp_path / f"{name}.c"), "-o", str(program), "-lm"],
        check=True,
        capture_output=True,
        text=True,
    )
    return program


@needs_gcc
@pytest.mark.parametrize(
    "name, step, method, dt, steps",
    [
        ("double_pendulum", "rk4_step", "rk4", 1e-3, 200),
        ("chain6", "rk4_step", "rk4", 1e-3, 50),
        ("kepler", "rk4_step", "rk4", 1e-2, 200),
        ("henon_heiles", "leapfrog_step", "leapfrog", 1e-2, 500),
        ("damped_driven_oscillator", "rk4_step", "rk4", 1e-2, 300),
        ("pendulum", "leapfrog_step", "leapfrog", 1e-2, 300),
        ("charged_particle", "rk4_step", "rk4", 1e-2, 300),
        ("gaussian_ring", "rk4_step", "pf-rk4", 5e-3, 200),  # the probability flow, from t = T to 0
    ],
)
def test_the_c_step_agrees_with_the_numba_kernel(name, step, method, dt, steps, tmp_path):
    program = driver(name, step, tmp_path, method if method.startswith("pf-") else None)
    compiled = actionc.compile(EXAMPLE_DIR / f"{name}.act", method)
    result = compiled.run(dt=dt, steps=steps, save_every=steps)
    start = [repr(float(v)) for v in result.x[0, 0]]
    output = subprocess.run([str(program), str(steps), repr(dt), *start], check=True, capture_output=True, text=True)
    c_final = np.array([float(line) for line in output.stdout.split()])
    np.testing.assert_allclose(c_final, result.x[-1, 0], rtol=1e-12, atol=1e-12)


def shared_library(name: str, tmp_path: Path) -> ctypes.CDLL:
    emit(name, tmp_path)
    library = tmp_path / f"lib{name}.so"
    subprocess.run([*STRICT, "-shared", "-fPIC", str(tmp_path / f"{name}.c"), "-o", str(library), "-lm"], check=True)
    return ctypes.CDLL(str(library))


def pointer(array: np.ndarray):
    return array.ctypes.data_as(ctypes.POINTER(ctypes.c_double))


@needs_gcc
@pytest.mark.parametrize(
    "name, noises", [("stochastic_lorenz", 3), ("double_well", 2), ("geometric_brownian_motion", 1)]
)
def test_the_c_euler_maruyama_step_with_the_same_normals_agrees(name, noises, tmp_path):
    c = shared_library(name, tmp_path)
    compiled = actionc.compile(EXAMPLE_DIR / f"{name}.act", "euler-maruyama")
    dt, steps, seed = 1e-3, 50, 6
    result = compiled.run(dt=dt, steps=steps, particles=2, seed=seed, save_every=steps)
    p = np.array([value for value in compiled.params.values()] or [0.0])
    for particle in range(2):
        stream = Stream(compiled, seed, particle)
        x = result.x[0, particle].copy()
        stream.replay_initial_draws(actionc.load(EXAMPLE_DIR / f"{name}.act"))
        step = getattr(c, f"{name}_euler_maruyama_step")
        for k in range(steps):
            normals = np.array([stream.normal() for _ in range(noises)])
            step(pointer(x), ctypes.c_double(k * dt), ctypes.c_double(dt), pointer(p), pointer(normals))
        np.testing.assert_allclose(x, result.x[-1, particle], rtol=1e-12, atol=1e-12)


@needs_gcc
def test_baked_parameters_compile_and_leave_no_parameter_reads(tmp_path):
    assert main(["emit", str(EXAMPLE_DIR / "pendulum.act"), "--out", str(tmp_path), "--bake-params"]) == 0
    source = (tmp_path / "pendulum.c").read_text()
    assert "p[" not in source.split("pendulum_drift", 1)[1].split("}", 1)[0]
    subprocess.run([*STRICT, "-c", str(tmp_path / "pendulum.c"), "-o", str(tmp_path / "p.o")], check=True)


def test_the_cfunc_drift_is_callable_through_ctypes():
    compiled = actionc.compile(EXAMPLE_DIR / "double_pendulum.act", "rk4")
    drift = compiled.cfunc("drift")
    x, p, out = np.array([2.0, 2.5, 0.1, -0.3]), np.array(list(compiled.params.values())), np.zeros(4)
    drift.ctypes(pointer(x), 0.0, pointer(p), pointer(out))
    np.testing.assert_allclose(out, compiled.function("drift")(x), rtol=1e-13)
    assert drift.address > 0


def test_a_users_njit_code_can_call_the_models_drift():
    compiled = actionc.compile(EXAMPLE_DIR / "henon_heiles.act", "leapfrog")
    drift = compiled.numba("drift")

    @numba.njit
    def speed_squared(x, p):
        f = drift((x[0], x[1], x[2], x[3]), 0.0, p)
        return f[0] * f[0] + f[1] * f[1]

    x, p = np.array([0.1, 0.2, 0.3, 0.4]), np.array([1.0])
    assert speed_squared(x, p) == pytest.approx(0.3**2 + 0.4**2)


def test_the_llvm_target_prints_the_ir_of_a_step(capsys):
    assert main(["emit", str(EXAMPLE_DIR / "pendulum.act"), "--target", "llvm"]) == 0
    out = capsys.readouterr().out
    assert "define" in out and "c_step" in out


SO_DRIVER = r"""
#include <stdio.h>
#include "NAME_kernel.h"

int main(void)
{
    double x[UPPER_N_STATE] = {@START@}, p[UPPER_N_PARAMS] = {@PARAMS@}, control[UPPER_N_CONTROL] = {@CONTROL@};
    uint64_t stream[4] = {1, 2, 3, 4};
    long k;
    int i;
    for (k = 0; k < @STEPS@; k++)
        if (NAME_step(x, k * @DT@, @DT@, p, stream, control) != 0) return 1;
    for (i = 0; i < UPPER_N_STATE; i++) printf("%.17g\n", x[i]);
    return 0;
}
"""


@needs_gcc
@pytest.mark.parametrize(
    "name, method", [("double_pendulum", "rk4"), ("henon_heiles", "leapfrog"), ("kepler", "dopri5")]
)
def test_the_shared_library_is_standalone_and_equals_the_kernel(name, method, tmp_path):
    assert (
        main(["emit", str(EXAMPLE_DIR / f"{name}.act"), "--target", "so", "--method", method, "--out", str(tmp_path)])
        == 0
    )
    library = tmp_path / f"lib{name}.so"
    undefined = subprocess.run(["nm", "-u", str(library)], capture_output=True, text=True).stdout.split()
    assert not [s for s in undefined if s not in ("U", "w") and "GLIBC" not in s and not s.startswith(("_ITM", "__"))]

    compiled = actionc.compile(EXAMPLE_DIR / f"{name}.act", method)
    dt, steps = 1e-2, 100
    result = compiled.run(dt=dt, steps=steps, save_every=steps)
    start = ", ".join(repr(float(v)) for v in result.x[0, 0])
    params = ", ".join(repr(float(v)) for v in compiled.params.values())
    control = "0, 1e-6, 1e-9" if method == "dopri5" else "0"  # dopri5: rtol, atol as the kernel's defaults
    source = (
        SO_DRIVER.replace("@CONTROL@", control)
        .replace("@START@", start)
        .replace("@PARAMS@", params)
        .replace("@STEPS@", str(steps))
        .replace("@DT@", repr(dt))
        .replace("UPPER", name.upper())
        .replace("NAME", name)
    )
    (tmp_path / "driver.c").write_text(source)
    program = tmp_path / "driver"
    subprocess.run(
        [
            *STRICT,
            f"-I{tmp_path}",
            str(tmp_path / "driver.c"),
            f"-L{tmp_path}",
            f"-l{name}",
            "-lm",
            f"-Wl,-rpath,{tmp_path}",
            "-o",
            str(program),
        ],
        check=True,
    )
    output = subprocess.run([str(program)], check=True, capture_output=True, text=True).stdout
    # the same Numba code as the kernel, compiled in another context (FMA contraction may differ)
    np.testing.assert_allclose(np.array([float(v) for v in output.split()]), result.x[-1, 0], rtol=1e-12, atol=1e-12)

    loaded = ctypes.CDLL(str(library))
    x, p, out = result.x[0, 0].copy(), np.array(list(compiled.params.values())), np.zeros(len(result.names))
    getattr(loaded, f"{name}_drift")(pointer(x), ctypes.c_double(0.0), pointer(p), pointer(out))
    np.testing.assert_allclose(out, compiled.function("drift")(x), rtol=1e-13)


@needs_gcc
def test_a_kernel_that_needs_the_numba_runtime_is_refused_with_a_hint(tmp_path, capsys):
    # the chain keeps a mass matrix: its drift allocates, which needs Numba's runtime
    code = main(["emit", str(EXAMPLE_DIR / "chain6.act"), "--target", "so", "--out", str(tmp_path)])
    assert code == 2
    assert "--target c" in capsys.readouterr().err


@needs_gcc
@pytest.mark.parametrize("path", SCALAR_EXAMPLES, ids=lambda p: p.stem)  # emit refuses indexed models, in words
def test_every_examples_c_compiles_without_warnings(path, tmp_path):
    assert main(["emit", str(path), "--out", str(tmp_path)]) == 0
    subprocess.run([*STRICT, "-c", str(tmp_path / f"{path.stem}.c"), "-o", str(tmp_path / "m.o")], check=True)
