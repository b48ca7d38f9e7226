"""The kernel cache: a warm run does no SymPy work; bad entries are rebuilt."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import actionc
from actionc.codegen import cache
from actionc.codegen.integrators import choose
from actionc.codegen.module import generate
from actionc.lower import lower
from tests.conftest import EXAMPLE_DIR

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
    assert run_in_fresh_process(tmp_path, EXAMPLE_DIR / "pendulum.act") == "SYMPY 0"  # cold: derives and compiles
    assert run_in_fresh_process(tmp_path, EXAMPLE_DIR / "pendulum.act") == "NO-SYMPY 0"  # warm: cache only
    assert list((tmp_path / "kernels" / "__pycache__").glob("*.nbi"))  # Numba's compiled code is cached too


def test_the_same_system_generates_byte_identical_source():
    system = lower(actionc.load(EXAMPLE_DIR / "muller_brown.act"))
    integrator = choose(system, None)
    assert generate(system, integrator) == generate(lower(actionc.load(EXAMPLE_DIR / "muller_brown.act")), integrator)


def test_a_corrupted_kernel_file_is_rebuilt_not_trusted(tmp_path, monkeypatch):
    monkeypatch.setenv("ACTIONC_CACHE_DIR", str(tmp_path))
    model = tmp_path / "ou.act"
    model.write_text((EXAMPLE_DIR / "ornstein_uhlenbeck.act").read_text().replace("theta = 1", "theta = 1.25"))
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
    model.write_text((EXAMPLE_DIR / "geometric_brownian_motion.act").read_text().replace("mu = 0.05", "mu = 0.07"))
    compiled = actionc.compile(model)
    compiled.kernel.path.unlink()
    again = actionc.compile(model)
    assert again.kernel.path.is_file()


def test_the_cache_dir_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("ACTIONC_CACHE_DIR", str(tmp_path / "here"))
    assert cache.cache_dir() == tmp_path / "here"


# ---- the cache is trusted only when it is ours ---------------------------------------------------
# Running as root (as CI does) a folder of another user is made with chown; otherwise os.getuid is
# patched so that our own folders look like someone else's.

OTHER_UID = 4242


def _as_another_users(folder: Path, monkeypatch) -> None:
    if os.getuid() == 0:
        os.chown(folder, OTHER_UID, OTHER_UID)
    else:
        monkeypatch.setattr(os, "getuid", lambda: OTHER_UID)


def _plant(folder: Path, model_text: str, marker: Path) -> None:
    """What an attacker does: a kernel that writes `marker` when imported, stored under its
    correct content hash, and an index entry sending the model's key to it."""
    from actionc import pipeline
    from actionc.methods import decode

    honest = pipeline.kernel_source(actionc.parse(model_text), decode(None))
    planted = honest + f"\nopen({str(marker)!r}, 'w').close()\n"
    name = cache.kernel_name(planted)
    (folder / "kernels").mkdir(parents=True, exist_ok=True)
    (folder / "index").mkdir(exist_ok=True)
    (folder / "kernels" / f"{name}.py").write_text(planted)
    key = pipeline._index_key(model_text, decode(None), None)
    (folder / "index" / f"{key}.json").write_text(f'{{"kernel": "{name}"}}')


PLANTED_MODEL = (EXAMPLE_DIR / "ornstein_uhlenbeck.act").read_text().replace("theta = 1", "theta = 1.375")


def test_a_cache_folder_others_can_write_into_is_refused_and_its_planted_code_never_runs(tmp_path, monkeypatch):
    import warnings

    folder, marker = tmp_path / "shared", tmp_path / "pwned"
    monkeypatch.setenv("ACTIONC_CACHE_DIR", str(tmp_path / "clean"))  # where the attacker builds the honest kernel
    _plant(folder, PLANTED_MODEL, marker)
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o777)
    monkeypatch.setenv("ACTIONC_CACHE_DIR", str(folder))
    model = tmp_path / "ou.act"
    model.write_text(PLANTED_MODEL)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        compiled = actionc.compile(model)
        assert compiled.run(dt=0.01, steps=5, particles=3).x.shape == (6, 3, 1)
    assert not marker.exists()
    assert any(issubclass(w.category, cache.UntrustedCacheWarning) and "mode 777" in str(w.message) for w in caught)
    assert not compiled.kernel.path.is_relative_to(folder)
    assert compiled.kernel.path.parent.parent.stat().st_mode & 0o077 == 0  # a private folder of ours


def test_the_same_planted_folder_passes_the_check_once_made_private_so_the_test_can_fail(tmp_path, monkeypatch):
    # negative control: the planted code does run from a folder that passes the trust check,
    # so the test above would notice if the check were gone
    folder, marker = tmp_path / "ours", tmp_path / "ran"
    monkeypatch.setenv("ACTIONC_CACHE_DIR", str(tmp_path / "clean"))
    _plant(folder, PLANTED_MODEL.replace("1.375", "1.625"), marker)
    monkeypatch.setenv("ACTIONC_CACHE_DIR", str(folder))
    model = tmp_path / "ou.act"
    model.write_text(PLANTED_MODEL.replace("1.375", "1.625"))
    actionc.compile(model)
    assert marker.exists()


def test_a_fallback_folder_of_another_user_is_refused_not_a_permission_error(tmp_path, monkeypatch):
    import warnings

    monkeypatch.delenv("ACTIONC_CACHE_DIR")
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked / "cache"))  # the user cache dir cannot be created
    monkeypatch.setattr(cache.tempfile, "tempdir", str(tmp_path))
    squatted = tmp_path / f"actionc-cache-{os.getuid()}"
    squatted.mkdir(mode=0o755)
    _as_another_users(squatted, monkeypatch)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        folder = cache.cache_dir()
    assert folder != squatted and folder == cache.scratch_dir()
    [warning] = caught
    assert f"{squatted}: it belongs to another user (uid {squatted.stat().st_uid})" in str(warning.message)


def test_new_cache_folders_are_private(tmp_path, monkeypatch):
    monkeypatch.setenv("ACTIONC_CACHE_DIR", str(tmp_path / "a" / "b"))
    path = cache.store_kernel("# not a kernel\n")
    for folder in (tmp_path / "a", tmp_path / "a" / "b", path.parent, path.parent / "__pycache__"):
        assert folder.stat().st_mode & 0o777 == 0o700, folder
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_kernel_cut_inside_a_utf8_character_is_rewritten(tmp_path, monkeypatch):
    monkeypatch.setenv("ACTIONC_CACHE_DIR", str(tmp_path))
    source = "# é\n" * 3
    path = cache.store_kernel(source)
    path.write_bytes(source.encode()[:-4])  # ends inside 'é'
    assert cache.store_kernel(source).read_text(encoding="utf-8") == source
    assert cache.verified_kernel(path.stem) == path


def _numba_files(folder: Path) -> list[Path]:
    return sorted((folder / "kernels" / "__pycache__").glob("*.nb[ic]"))


@pytest.mark.parametrize("suffix", [".nbi", ".nbc"])
def test_a_corrupted_numba_file_is_deleted_and_rebuilt_not_a_traceback(tmp_path, suffix):
    model = EXAMPLE_DIR / "double_well.act"
    assert run_in_fresh_process(tmp_path, model) == "SYMPY 0"
    files = [f for f in _numba_files(tmp_path) if f.suffix == suffix]
    assert files
    files[0].write_bytes(b"garbage" if suffix == ".nbi" else files[0].read_bytes()[:100])  # truncated pickle
    for shared in (tmp_path / "kernels").glob("*.so"):
        shared.unlink()  # so that the next run goes through Numba (as a kernel without a library does)
    assert run_in_fresh_process(tmp_path, model) == "NO-SYMPY 0"
    assert run_in_fresh_process(tmp_path, model) == "NO-SYMPY 0"
    assert all(cache._whole_pickles(f) for f in _numba_files(tmp_path))


READ_ONLY_RUN = """
import sys
from actionc.codegen import cache
cache._writable = lambda root: False  # as a non-root user's chmod 500 would make it
from actionc.cli import main
code = main(["run", sys.argv[1], "--dt", "0.01", "--steps", "10"])
print("SYMPY" if "sympy" in sys.modules else "NO-SYMPY", code)
"""


def _snapshot(folder: Path) -> dict:
    return {p: (p.stat().st_mtime_ns, p.stat().st_size) for p in folder.rglob("*")}


def test_a_read_only_prewarmed_cache_is_read_and_never_written(tmp_path):
    model = EXAMPLE_DIR / "double_well.act"
    assert run_in_fresh_process(tmp_path, model) == "SYMPY 0"
    before = _snapshot(tmp_path)
    environment = {**os.environ, "ACTIONC_CACHE_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", READ_ONLY_RUN, str(model)], capture_output=True, text=True, env=environment
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "NO-SYMPY 0"  # the kernel came from the read-only cache
    assert _snapshot(tmp_path) == before


def test_numba_keeps_a_kernels_compiled_code_in_our_folder_whatever_numba_cache_dir_says(tmp_path):
    elsewhere = tmp_path / "numba-elsewhere"
    environment = {**os.environ, "ACTIONC_CACHE_DIR": str(tmp_path / "cache"), "NUMBA_CACHE_DIR": str(elsewhere)}
    result = subprocess.run(
        [sys.executable, "-c", WARM_RUN, str(EXAMPLE_DIR / "double_well.act")],
        capture_output=True,
        text=True,
        env=environment,
    )
    assert result.returncode == 0, result.stderr
    assert _numba_files(tmp_path / "cache")
    assert not list(elsewhere.rglob("k_*"))


def test_a_folder_above_the_cache_that_others_can_write_into_is_refused(tmp_path, monkeypatch):
    import warnings

    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)  # no sticky bit: anyone could rename our folder away and put theirs in its place
    monkeypatch.setenv("ACTIONC_CACHE_DIR", str(shared / "cache"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert cache.cache_dir() == cache.scratch_dir()
    assert f"the folder {shared} above it can be written by others" in str(caught[0].message)
    shared.chmod(0o1777)  # sticky, as /tmp is: others cannot remove what is ours
    assert cache.cache_dir() == shared / "cache"


def test_a_trusted_folder_owned_by_root_is_used_not_chmodded(tmp_path, monkeypatch):
    folder = tmp_path / "prewarmed"
    folder.mkdir(mode=0o755)
    monkeypatch.delenv("ACTIONC_CACHE_DIR")
    monkeypatch.setattr(cache, "_default_dir", lambda: folder)
    monkeypatch.setattr(cache, "_uid", lambda: OTHER_UID if os.getuid() == 0 else 0)
    if os.getuid() != 0:
        pytest.skip("needs a folder owned by root")
    assert cache.cache_dir() == folder  # owned by root, writable by nobody else: trusted
    assert folder.stat().st_mode & 0o777 == 0o755  # not ours to chmod


def test_an_unwritable_numba_folder_makes_the_cache_read_only(tmp_path, monkeypatch):
    monkeypatch.setenv("ACTIONC_CACHE_DIR", str(tmp_path))
    (tmp_path / "kernels" / "__pycache__").mkdir(parents=True, mode=0o700)
    monkeypatch.setattr(cache, "_writable", lambda folder: folder.name != "__pycache__")
    read, write = cache._roots()
    assert (read, write) == (tmp_path, cache.scratch_dir())  # Numba never falls back to a folder of its own


def test_an_index_entry_naming_another_file_is_ignored(tmp_path, monkeypatch):
    monkeypatch.setenv("ACTIONC_CACHE_DIR", str(tmp_path / "cache"))
    victim = tmp_path / "precious.py"
    victim.write_text("# not a kernel\n")
    cache.record("key", "../../precious")
    assert cache.lookup("key") == "../../precious"
    assert cache.verified_kernel("../../precious") is None
    assert victim.read_text() == "# not a kernel\n"


def test_a_cache_folder_that_cannot_be_created_is_said_not_silently_dropped(tmp_path, monkeypatch):
    import warnings

    blocked = tmp_path / "a-file"
    blocked.write_text("")
    monkeypatch.setenv("ACTIONC_CACHE_DIR", str(blocked / "cache"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert cache.cache_dir() == cache.scratch_dir()
    assert "cannot use the kernel cache" in str(caught[0].message) and "cannot be created" in str(caught[0].message)


WARM_IMPORTS = """
import sys
from actionc.cli import main
code = main(["run", sys.argv[1], "--dt", "0.01", "--steps", "10"])
print(sorted(m for m in ("sympy", "scipy.stats", "lark") if m in sys.modules), code)
"""


def test_a_warm_run_imports_neither_sympy_nor_scipy_stats_nor_the_parser(tmp_path):
    # a warm run is mostly imports: scipy.stats (diagnostics) cost 0.4 s of a 1 s run (Numba itself
    # imports scipy.linalg when SciPy is installed: not ours to avoid)
    environment = {**os.environ, "ACTIONC_CACHE_DIR": str(tmp_path)}
    model = str(EXAMPLE_DIR / "double_well.act")
    outputs = []
    for _ in ("cold", "warm"):
        result = subprocess.run(
            [sys.executable, "-c", WARM_IMPORTS, model], capture_output=True, text=True, env=environment
        )
        outputs.append(result.stdout.splitlines()[-1] if result.stdout else result.stderr)
    assert "'sympy'" in outputs[0]  # the cold run derived and compiled
    assert outputs[1] == "[] 0"
