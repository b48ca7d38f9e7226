"""The command line's argument types: each turns a flag's text into a value,
or an argparse error that says what is expected."""

from __future__ import annotations

import argparse


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (value > 0 and value != float("inf")):
        raise argparse.ArgumentTypeError(f"expected a positive finite number, got {text!r}")
    return value


def finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def time_step(text: str) -> float:
    try:
        negative = float(text) < 0
    except ValueError:
        negative = False  # _positive_float says what is wrong
    if negative:
        raise argparse.ArgumentTypeError(
            f"a time step must be positive, got {text!r}: a run goes forward in time from t = 0 (a sampler such as "
            "--method reverse-em runs a model backwards by itself)"
        )
    return positive_float(text)


def count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 0, got {text!r}")
    return value


def positive_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number ≥ 1, got {text!r}")
    return value


def assignment(text: str) -> tuple[str, float]:
    name, equals, value = text.partition("=")
    if not equals or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number after '=', got {value!r}") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {value!r}")
    return name.strip().replace("'", "_dot"), number


def named_file(text: str) -> tuple[str, str]:
    name, equals, path = text.partition("=")
    if not equals or not name.strip() or not path.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=FILE, got {text!r}")
    return name.strip(), path.strip()


def comma_list(text: str) -> list[str]:
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise argparse.ArgumentTypeError("expected a comma-separated list of derivations")
    return items


def initial_value(text: str):
    """NAME=VALUE for --init, VALUE a number or a distribution as in the
    model: normal(MEAN, STD), uniform(LOW, HIGH), drawn per particle."""
    name, equals, value = text.partition("=")
    if equals and name.strip() and "(" in value:
        from actionc.errors import RunError
        from actionc.run.initial import parse_draw

        try:
            return name.strip().replace("'", "_dot"), parse_draw(value)
        except RunError as error:
            raise argparse.ArgumentTypeError(f"{error}; {error.hint}") from None
    return assignment(text)


MAX_SWEEP = 10_000  # values of one swept parameter


def sweep(text: str) -> tuple[str, float | tuple[float, ...]]:
    """NAME=VALUE for --set, or a sweep: NAME=V1,V2,… (those values) or
    NAME=LOW:HIGH:COUNT (COUNT evenly spaced values, both ends included)."""
    name, equals, value = text.partition("=")
    if not equals or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    if "," in value:
        values = [assignment(f"{name}={item}")[1] for item in value.split(",")]
    elif ":" in value:
        parts = value.split(":")
        if len(parts) != 3:
            raise argparse.ArgumentTypeError(f"expected NAME=LOW:HIGH:COUNT, got {text!r}")
        low, high = (assignment(f"{name}={part}")[1] for part in parts[:2])
        number = positive_count(parts[2])
        if number > MAX_SWEEP:
            raise argparse.ArgumentTypeError(f"at most {MAX_SWEEP} values in a sweep, not {number}")
        values = [low] if number == 1 else [low + (high - low) * k / (number - 1) for k in range(number)]
    else:
        return assignment(text)
    if len(values) > MAX_SWEEP:
        raise argparse.ArgumentTypeError(f"at most {MAX_SWEEP} values in a sweep, not {len(values)}")
    return name.strip(), tuple(values)
