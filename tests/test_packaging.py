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


def test_the_license_the_metadata_names_is_in_the_repository():
    root = CHECKOUT_GRAMMAR.parents[1]
    assert 'license = "MIT"' in (root / "pyproject.toml").read_text()
    assert (root / "LICENSE").read_text().startswith("MIT License")


def test_no_paragraph_of_the_docs_is_repeated_word_for_word():
    for page in sorted((CHECKOUT_GRAMMAR.parents[1] / "docs").glob("*.md")):
        paragraphs = [p.strip() for p in page.read_text().split("\n\n") if len(p.strip()) > 200]
        repeated = {p[:80] for p in paragraphs if paragraphs.count(p) > 1}
        assert not repeated, f"{page.name} repeats: {repeated}"
