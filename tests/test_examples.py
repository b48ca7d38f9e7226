"""Every shipped example parses, checks, and says what it models."""

import pytest

import actionc
from actionc import Kind
from tests.conftest import EXAMPLE_DIR, EXAMPLES


def test_the_examples_cover_every_kind():
    kinds = {actionc.load(p).kind for p in EXAMPLES}
    assert kinds == set(Kind)
    assert len(EXAMPLES) >= 12


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_parses_and_opens_with_a_comment_saying_what_to_expect(path):
    text = path.read_text()
    model = actionc.load(path)
    assert model.name == path.stem
    header = text.split("\nmodel ")[0]
    assert header.startswith("# ") and "Expect" in header


def test_the_double_pendulum_writes_kinetic_energy_from_primed_lets():
    model = actionc.load(next(p for p in EXAMPLES if p.stem == "double_pendulum"))
    assert [let.name for let in model.lets] == ["x1", "y1", "x2", "y2"]
    assert {v.name for v in model.velocities} <= {s.name for s in model.lagrangian.free_symbols}


def test_the_stochastic_lorenz_system_has_three_independent_noises():
    model = actionc.load(next(p for p in EXAMPLES if p.stem == "stochastic_lorenz"))
    assert model.noises == ("W1", "W2", "W3")


SCRIPTS = sorted(EXAMPLE_DIR.glob("*.py"))


def _actionc_names(tree):
    """(module, name) for every name a script takes from actionc: imports and attributes of `actionc`."""
    import ast

    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("actionc"):
            yield from ((node.module, alias.name) for alias in node.names)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "actionc":
            yield "actionc", node.attr


@pytest.mark.parametrize("path", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_every_name_an_example_script_takes_from_actionc_exists(path):
    # the scripts take minutes to run (see the slow test below); what they use must exist now
    import ast
    import importlib.util

    for module, name in _actionc_names(ast.parse(path.read_text())):
        found = hasattr(importlib.import_module(module), name)
        if not found:  # a submodule, as in `from actionc.run import landscape`
            found = importlib.util.find_spec(f"{module}.{name}") is not None
        assert found, f"{path.name}: {module}.{name} does not exist"


@pytest.mark.slow
@pytest.mark.parametrize("path", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_every_example_script_runs(path):
    import subprocess
    import sys

    result = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, result.stderr[-2000:]
