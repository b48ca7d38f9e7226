"""The grammar has one home (grammar/actionc.lark) and ships in the wheel."""

from importlib import resources
from pathlib import Path

import pytest

import actionc

CHECKOUT_GRAMMAR = Path(__file__).parents[1] / "grammar" / "actionc.lark"


def test_the_installed_package_carries_the_grammar_of_the_checkout():
    packaged = resources.files("actionc") / "grammar" / "actionc.lark"
    if not packaged.is_file():
        pytest.skip("actionc is imported from the source tree, not from an installed wheel")
    assert packaged.read_text() == CHECKOUT_GRAMMAR.read_text()


def test_the_grammar_exists_only_once_in_the_source_tree():
    root = CHECKOUT_GRAMMAR.parents[1]
    copies = [
        p
        for p in root.rglob("*.lark")
        if not any(
            part.startswith(".") or part in {"build", "dist"} or "venv" in part for part in p.relative_to(root).parts
        )
    ]
    assert copies == [CHECKOUT_GRAMMAR]


def test_version_is_exposed():
    assert actionc.__version__
