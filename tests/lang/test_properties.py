"""Properties of the front end over generated and mutated text.

Any text either parses or raises ModelError (never another exception), and
the formatter is faithful: parse(fmt(m)) == m.
"""

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import actionc
from actionc.testing.text import TOKENS, models, raw_text
from tests.conftest import EXAMPLES

EXAMPLE_TEXTS = [p.read_text() for p in EXAMPLES]


def parse_or_model_error(text: str):
    try:
        return actionc.parse(text)
    except actionc.ModelError as error:
        assert str(error)  # the message itself must format without failing
        return None


@given(raw_text)
def test_random_text_raises_only_model_errors(text):
    parse_or_model_error(text)


@given(st.text(max_size=100))
def test_random_text_after_a_model_line_raises_only_model_errors(text):
    parse_or_model_error("model m\n" + text)


@st.composite
def mutated_examples(draw) -> str:
    text = draw(st.sampled_from(EXAMPLE_TEXTS))
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, len(text)))
        edit = draw(st.sampled_from(["delete", "insert", "replace"]))
        if edit == "delete":
            end = draw(st.integers(position, min(len(text), position + 12)))
            text = text[:position] + text[end:]
        elif edit == "insert":
            text = text[:position] + draw(st.sampled_from(TOKENS)) + text[position:]
        else:
            text = text[:position] + draw(st.sampled_from(TOKENS)) + text[position + 1 :]
    return text


@settings(max_examples=300)
@given(mutated_examples())
def test_mutated_examples_raise_only_model_errors(text):
    parse_or_model_error(text)


def test_every_example_survives_the_formatter():
    for path, text in zip(EXAMPLES, EXAMPLE_TEXTS):
        model = actionc.parse(text, filename=path.name)
        assert actionc.parse(actionc.format_model(model)) == model, path.name


@settings(max_examples=150)
@given(models())
def test_formatting_a_generated_model_gives_back_an_equal_model(text):
    model = parse_or_model_error(text)
    assume(model is not None)
    formatted = actionc.format_model(model)
    again = actionc.parse(formatted)
    assert again == model
    assert actionc.format_model(again) == formatted  # fmt is idempotent


@settings(max_examples=100)
@given(models())
def test_generated_models_parse(text):
    # the generator only writes meaningful models, so rejections are rare
    # (log of a zero constant, say) and always ModelErrors
    parse_or_model_error(text)


def test_fmt_wraps_a_long_energy_at_its_terms_and_parses_back_the_same():
    from actionc.lang import format_model, parse
    from actionc.lang.fmt import WIDTH

    terms = " + ".join(f"k{i}*(x - {i})^2/2" for i in range(20))
    params = ", ".join(f"k{i} = {i + 1}" for i in range(20))
    model = parse(f"model long\nparam {params}\nstate x\nenergy = {terms}\ntemperature = 1\n")
    text = format_model(model)
    assert max(len(line) for line in text.splitlines()) <= WIDTH
    assert text.count("\nparam ") >= 2 and "energy = (" in text and "\n    + " in text
    assert parse(text) == model and format_model(parse(text)) == text  # the round trip, and a fixed point
    short = parse("model short\nstate x\nenergy = x^2/2 - x\n")
    assert "energy = x^2/2 - x\n" in format_model(short)  # the control: short lines stay as they were


@pytest.mark.parametrize(
    "written, printed",
    [
        # the newcomer's Lagrangian: SymPy's own order would print -f*x + x'^2/2 + y'^2/2
        ("(x'^2 + y'^2)/2 - f*x", "x'^2/2 + y'^2/2 - f*x"),
        ("-f*x + (x'^2 + y'^2)/2", "-f*x + x'^2/2 + y'^2/2"),
        ("y'^2 + x'^2 - 2*(y - x)", "y'^2 + x'^2 - 2*y + 2*x"),  # a sum multiplied out, in order
        ("x'^2 - 3 - (x - y)", "x'^2 - 3 - x + y"),  # the number where it was written
        ("x'^2 + y - x + x'^2", "y - x + 2*x'^2"),  # terms SymPy combined go last
    ],
)
def test_fmt_keeps_the_terms_of_a_sum_in_the_order_written(written, printed):
    from actionc.lang import format_model, parse

    model = parse(f"model m\nparam f = 1\ncoord x, y\nlagrangian = {written}\n")
    text = format_model(model)
    assert f"lagrangian = {printed}\n" in text
    assert parse(text) == model and format_model(parse(text)) == text
