"""Fuzzing the language end to end: every text ends, within a time bound, in
a model or in a ModelError that says where; a model survives the formatter
(parse(fmt(m)) == m) and its derivations (`actionc derive`), whose report
prints.

Inputs are models generated from the grammar (actionc.testing.text.models)
and the examples mutated with tokens, among them the numbers and nestings
that once hung the front end. A few hundred inputs in the default run,
thousands with --runslow; the figures (inputs, outcomes by class, the
slowest input) are printed at the end of the module.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import actionc
from actionc import report
from actionc.cli.models import summary
from actionc.testing.text import TOKENS, models

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.act"))
EXAMPLE_TEXTS = [path.read_text() for path in EXAMPLES]

# Tokens that once made the front end hang or fail with a traceback (issue 19).
HOSTILE = [
    "^99999999",
    "^-1e10",
    "(2/3)^",
    "(1/2)^-20000",
    "exp(exp(exp(100)))",
    "2^4096",
    "1e308",
    "9" * 60,
    "\ufeff",
    "x^2 + ",
    "sqrt(-1)",
    "let",
    "q'",
]
SECONDS = 20.0  # per input, all stages: generous for a loaded machine; the slowest seen take about 2 s

FIGURES: dict = {"outcomes": Counter(), "inputs": 0, "slowest": (0.0, "")}


@st.composite
def mutated_examples(draw) -> str:
    text = draw(st.sampled_from(EXAMPLE_TEXTS))
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, len(text)))
        edit = draw(st.sampled_from(["delete", "insert", "replace"]))
        token = draw(st.sampled_from(TOKENS + HOSTILE))
        if edit == "delete":
            text = text[:position] + text[draw(st.integers(position, min(len(text), position + 12))) :]
        elif edit == "insert":
            text = text[:position] + token + text[position:]
        else:
            text = text[:position] + token + text[position + 1 :]
    return text


def _kind(message: str) -> str:
    """An error message with its names and numbers left out, to count by."""
    return re.sub(r"\d+", "N", re.sub(r"'[^']*'", "'…'", message))


def _outcome(text: str) -> str:
    try:
        model = actionc.parse(text, filename="fuzz.act")
    except actionc.ModelError as error:
        assert error.filename == "fuzz.act" and error.line is not None and error.column is not None, str(error)
        assert str(error).startswith(f"fuzz.act:{error.line}:{error.column}: error: ")
        return "check: " + _kind(error.message)
    summary(model)  # what `actionc check` prints
    assert actionc.parse(actionc.format_model(model)) == model, "the formatter changed the model"
    try:
        results = report.derive(model)
        report.FORMATS["text"](model, results)
    except actionc.ModelError as error:
        assert error.line is not None, str(error)
        return "derive: " + _kind(error.message)
    return "model, formatted and derived"


def check_input(text: str) -> None:
    start = time.perf_counter()
    try:
        outcome = _outcome(text)
    except Exception as error:  # counted, then failed
        FIGURES["inputs"] += 1
        FIGURES["outcomes"][f"FAILED: {type(error).__name__}"] += 1
        raise
    elapsed = time.perf_counter() - start
    FIGURES["inputs"] += 1
    FIGURES["outcomes"][outcome] += 1
    if elapsed > FIGURES["slowest"][0]:
        FIGURES["slowest"] = (elapsed, text)
    assert elapsed < SECONDS, f"{elapsed:.1f} s for:\n{text}"


def _fuzz(strategy, examples: int):
    # no shrinking: an input may take seconds to derive, and shrinking one ran for over half an hour
    phases = [Phase.explicit, Phase.reuse, Phase.generate]

    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), phases=phases)
    @given(strategy)
    def test(text):
        check_input(text)

    return test


test_generated_models_end_in_a_model_or_a_located_error = _fuzz(models(), 100)
test_mutated_examples_end_in_a_model_or_a_located_error = _fuzz(mutated_examples(), 100)
test_thousands_of_generated_models = pytest.mark.slow(_fuzz(models(), 2500))
test_thousands_of_mutated_examples = pytest.mark.slow(_fuzz(mutated_examples(), 2500))


@pytest.fixture(scope="module", autouse=True)
def figures(request):
    """Print the fuzzing figures after the module's tests."""
    yield
    if not FIGURES["inputs"]:
        return
    write = request.config.pluginmanager.get_plugin("terminalreporter").write_line
    write(f"\nfuzz: {FIGURES['inputs']} inputs")
    for outcome, count in FIGURES["outcomes"].most_common():
        write(f"  {count:6d}  {outcome}")
    seconds, text = FIGURES["slowest"]
    write(f"slowest input: {seconds:.2f} s\n" + "\n".join("    " + line for line in text.splitlines()))
