from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# the shipped examples, which many tests run: one list for all of them
EXAMPLE_DIR = Path(__file__).parents[1] / "examples"
EXAMPLES = sorted(EXAMPLE_DIR.glob("*.act"))
# the examples with arrays (docs/indexed.md): what supports only scalar models yet skips them
INDEXED_EXAMPLES = {"allen_cahn", "fput", "logistic_regression", "pleiades", "stochastic_heat"}
SCALAR_EXAMPLES = [p for p in EXAMPLES if p.stem not in INDEXED_EXAMPLES]

# Fuzz and property tests: reproducible in CI, no deadline (SymPy's first
# calls are slow), more examples on demand with HYPOTHESIS_PROFILE=thorough.
settings.register_profile("default", deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", deadline=None, max_examples=2000)
settings.load_profile(__import__("os").environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(scope="session", autouse=True)
def kernel_cache(tmp_path_factory):
    """Compile kernels into a cache of this test session (shared by its tests)."""
    import os

    path = tmp_path_factory.mktemp("actionc-cache")
    previous = os.environ.get("ACTIONC_CACHE_DIR")
    os.environ["ACTIONC_CACHE_DIR"] = str(path)
    yield path
    if previous is None:
        del os.environ["ACTIONC_CACHE_DIR"]
    else:
        os.environ["ACTIONC_CACHE_DIR"] = previous


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False, help="run tests marked slow")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow"):
        return
    skip_slow = pytest.mark.skip(reason="slow: run with --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip_slow)
