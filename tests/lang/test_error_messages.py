"""Golden tests: the exact text of every error message.

Each tests/lang/errors/NAME.act holds a model with one mistake; NAME.err is
the text `actionc check` prints for it. After changing a message on purpose,
regenerate with:  ACTIONC_UPDATE_GOLDEN=1 pytest tests/lang/test_error_messages.py
and read the diff.
"""

import os
from pathlib import Path

import pytest

import actionc

ERRORS = Path(__file__).parent / "errors"
CASES = sorted(ERRORS.glob("*.act"))


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_error_message_is_exactly_the_golden_text(path):
    with pytest.raises(actionc.ModelError) as raised:
        actionc.parse(path.read_text(), filename=path.name)
    text = str(raised.value) + "\n"
    golden = path.with_suffix(".err")
    if os.environ.get("ACTIONC_UPDATE_GOLDEN"):
        golden.write_text(text)
    assert text == golden.read_text()


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_error_points_at_a_real_place_in_the_file(path):
    with pytest.raises(actionc.ModelError) as raised:
        actionc.parse(path.read_text(), filename=path.name)
    error = raised.value
    lines = path.read_text().splitlines()
    assert error.filename == path.name
    assert 1 <= error.line <= len(lines)
    assert 1 <= error.column <= len(lines[error.line - 1]) + 1
    assert error.hint


def test_every_golden_has_its_model():
    assert {p.stem for p in ERRORS.glob("*.err")} == {p.stem for p in CASES}
