"""A warm run calls the kernel's shared library (Numba's compiled code,
linked once), imports no Numba, and gets the bits the Numba function gets."""

import os
import shutil
import subprocess
import sys
import warnings

import numpy as np
import pytest

import actionc
from actionc.codegen import kernel, library
from tests.conftest import EXAMPLE_DIR

pytestmark = pytest.mark.skipif(library.target() is None or library.compiler() is None, reason="no C compiler")

WARM = """
import sys
if sys.argv[1] == "cli":
    from actionc.cli import main
    code = main(["run", sys.argv[2], "--dt", "0.01", "--steps", "10", "--particles", "3"])
else:
    import actionc
    result = actionc.compile(sys.argv[2]).run(dt=0.01, steps=10, particles=3)
    code = 0 if result.x.shape == (11, 3, len(result.names)) else 1
print(sorted(m for m in ("numba", "llvmlite", "sympy", "lark") if m in sys.modules), code)
"""


def test_a_warm_run_imports_neither_numba_nor_sympy_nor_lark(tmp_path):
    environment = {**os.environ, "ACTIONC_CACHE_DIR": str(tmp_path)}
    model = str(EXAMPLE_DIR / "double_pendulum.act")
    outputs = []
    for door in ("cli", "cli", "api"):  # cold, then warm from the command line and from Python
        run = subprocess.run([sys.executable, "-c", WARM, door, model], capture_output=True, text=True, env=environment)
        outputs.append(run.stdout.splitlines()[-1] if run.stdout else run.stderr)
    assert outputs[0] == "['lark', 'llvmlite', 'numba', 'sympy'] 0"  # the cold run derived and compiled
    assert outputs[1:] == ["[] 0", "[] 0"]
    assert list((tmp_path / "kernels").glob("k_*.so"))


# every integrator once (its model, method): the library's run against Numba's, bit for bit
INTEGRATORS = [
    ("double_pendulum", "euler"),
    ("double_pendulum", "rk4"),
    ("double_pendulum", "dopri5"),
    ("henon_heiles", "leapfrog"),
    ("henon_heiles", "yoshida4"),
    ("pendulum", "implicit-midpoint"),
    ("pendulum", "variational"),
    ("pendulum", "variational-trapezoid"),
    ("stochastic_lorenz", "euler-maruyama"),
    ("geometric_brownian_motion", "milstein"),
    ("stochastic_lorenz", "heun"),
    ("ornstein_uhlenbeck", "sra1"),
    ("ou_reverse", "pc"),
    ("underdamped_double_well", "baoab"),
    ("double_well", "mala"),
    ("double_well", "hmc"),
    ("double_well", "nuts"),
    ("double_well", "tempering"),
]
DEFAULT_SUITE = {"rk4", "dopri5", "leapfrog", "euler-maruyama", "baoab"}  # the rest with --runslow


def both_ways(compiled, monkeypatch, **options):
    """The run through Numba's function, then through the shared library."""
    with monkeypatch.context() as patched:
        patched.setattr(library, "load", lambda path: None)
        by_numba = compiled.run(**options)
    assert isinstance(compiled.kernel.run_particles(), library.Driver)
    return by_numba, compiled.run(**options)


def assert_same_bits(a, b):
    assert a.x.tobytes() == b.x.tobytes()
    assert a.counters.tobytes() == b.counters.tobytes()
    assert a.failed.tobytes() == b.failed.tobytes()
    assert a.meta["stats"] == b.meta["stats"] and a.meta["failures"] == b.meta["failures"]


@pytest.mark.parametrize(
    "model, method",
    [p if p[1] in DEFAULT_SUITE else pytest.param(*p, marks=pytest.mark.slow) for p in INTEGRATORS],
)
def test_the_library_gives_the_bits_numba_gives(model, method, monkeypatch):
    compiled = actionc.compile(EXAMPLE_DIR / f"{model}.act", method)
    start = {name: "normal(0.5, 0.2)" for name in compiled.names}
    options = dict(dt=0.01, steps=60, particles=37, seed=3, init=start, save_every=3, threads=2, chunk_steps=7)
    if compiled.meta.direction.value != "forward":
        options.pop("init")
    by_numba, by_library = both_ways(compiled, monkeypatch, **options)
    assert_same_bits(by_numba, by_library)
    assert np.isfinite(by_library.x).any()


def test_a_mass_matrix_kernel_allocates_through_the_shim(monkeypatch):
    # np.empty in the model functions: Numba's runtime allocation, supplied by the library's shim
    compiled = actionc.compile(EXAMPLE_DIR / "pendulum.act", "rk4", mass_matrix=True)
    assert "np.empty" in compiled.source
    by_numba, by_library = both_ways(compiled, monkeypatch, dt=0.01, steps=50, particles=5, threads=2)
    assert_same_bits(by_numba, by_library)


def test_a_first_passage_is_recorded_the_same(monkeypatch):
    compiled = actionc.compile(EXAMPLE_DIR / "ornstein_uhlenbeck.act", until="x > 0.2")
    by_numba, by_library = both_ways(compiled, monkeypatch, dt=0.01, steps=300, particles=40, seed=1)
    assert_same_bits(by_numba, by_library)
    assert np.array_equal(by_numba.events["t_hit"], by_library.events["t_hit"], equal_nan=True)
    assert np.isfinite(by_library.events["t_hit"]).sum() > 10  # most particles hit: the test can see a difference


def test_arguments_of_other_types_are_refused_before_the_call():
    compiled = actionc.compile(EXAMPLE_DIR / "double_pendulum.act", "rk4")
    compiled.run(dt=0.01, steps=1)
    driver = compiled.kernel.run_particles()
    assert isinstance(driver, library.Driver)
    with pytest.raises(TypeError, match="takes"):
        driver(0, 1, np.zeros((1, 4), dtype=np.float32))


def test_without_a_c_compiler_the_run_goes_through_numba_and_says_so_once(tmp_path, monkeypatch):
    monkeypatch.setenv("ACTIONC_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(shutil, "which", lambda name: None)
    library._say_no_compiler.cache_clear()
    model = tmp_path / "ou.act"
    model.write_text((EXAMPLE_DIR / "ornstein_uhlenbeck.act").read_text().replace("theta = 1", "theta = 1.5"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(2):
            result = actionc.compile(model).run(dt=0.01, steps=10, particles=4)
    assert result.x.shape == (11, 4, 1) and not list((tmp_path / "kernels").glob("*.so"))
    said = [w for w in caught if issubclass(w.category, library.NoCompilerWarning)]
    assert len(said) == 1 and "no C compiler" in str(said[0].message)


def test_a_library_that_is_not_ours_is_not_loaded(tmp_path, monkeypatch):
    monkeypatch.setenv("ACTIONC_CACHE_DIR", str(tmp_path))
    model = tmp_path / "ou.act"
    model.write_text((EXAMPLE_DIR / "ornstein_uhlenbeck.act").read_text().replace("theta = 1", "theta = 1.75"))
    compiled = actionc.compile(model)
    compiled.run(dt=0.01, steps=1)
    path = library.path_of(compiled.kernel.path)
    library._loaded.pop(path, None)
    elsewhere = tmp_path / "elsewhere.so"
    path.rename(elsewhere)
    path.symlink_to(elsewhere)  # a link: whoever can change it chooses the code
    assert library.load(compiled.kernel.path) is None
    assert not isinstance(compiled.kernel.run_particles(), library.Driver)


def test_the_numpy_functions_are_written_again_when_their_file_was_changed(tmp_path, monkeypatch):
    monkeypatch.setenv("ACTIONC_CACHE_DIR", str(tmp_path))
    model = tmp_path / "ou.act"
    model.write_text((EXAMPLE_DIR / "ornstein_uhlenbeck.act").read_text().replace("theta = 1", "theta = 2.25"))
    path = actionc.compile(model).kernel.path
    companion = path.with_name(f"{path.stem}_numpy.py")
    kernel.numpy_functions(path)
    assert "def np_drift" in companion.read_text()
    companion.write_text(companion.read_text().replace("numpy.stack", "numpy.hstack"))  # not what the kernel says
    sys.modules.pop(f"actionc_kernels.{path.stem}_numpy")
    drift = kernel.numpy_functions(path).np_drift
    assert "numpy.hstack" not in companion.read_text()
    assert drift(np.array([[1.0]]), 0.0, np.array([2.25, 0.0, 0.3])).tolist() == [[-2.25]]
