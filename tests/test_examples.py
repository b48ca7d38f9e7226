"""Every shipped example parses, checks, and says what it models."""

import pytest

import actionc
from actionc import Kind
from tests.conftest import EXAMPLES


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
