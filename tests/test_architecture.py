"""The import contract, written as data: which parts of actionc may import
which. Any other edge fails the test — the pipeline's stages import only
upstream, and only the driver (actionc.pipeline) brings them together."""

import ast
from pathlib import Path

import pytest

import actionc

PACKAGE = Path(actionc.__file__).parent

# leaves: small modules every part may use (no SymPy-heavy work, no stages)
LEAVES = {"version", "errors", "symbols", "functions", "methods", "quadrature", "kinds", "arrays"}

# part -> the parts it may import (besides itself and the leaves)
ALLOWED = {
    "forward": set(),  # the preset forward SDEs of diffusion models
    "model": set(),
    "lang": {"model", "forward"},
    "derive": {"model", "forward"},
    "system": set(),
    "lower": {"derive", "model", "system", "lower_indexed"},
    "lower_indexed": {"derive", "model", "system"},  # indexed models: element equations → blocks
    "codegen": {"system"},
    "run": {"codegen", "system"},
    "pipeline": {"lang", "model", "lower", "system", "codegen", "run"},
    "report": {"derive", "lang", "model"},  # derivations as text, printed in the language's own syntax
    "plot": {"pipeline", "run"},
    "cli": {"pipeline", "run", "lang", "report", "plot", "methods"},
    "testing": {"model", "derive", "lang", "__init__"},  # Hypothesis strategies and property checks (a user of the API)
    "highlight": set(),
    "__init__": {"pipeline", "run", "lang", "model"},  # the public API
}
for leaf in LEAVES:
    ALLOWED.setdefault(leaf, set())

# Known debts, each named with the edge it excuses; remove an entry when its edge goes.
DEBTS: dict[tuple[str, str], str] = {}


def part_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imports(path: Path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("actionc"):
            if node.module == "actionc":  # from actionc import x: the name is a part or the public API
                yield from ((f"actionc.{alias.name}", node.lineno) for alias in node.names)
            else:
                yield node.module, node.lineno
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("actionc"):
                    yield alias.name, node.lineno


def edges():
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        own = relative.parts[0].removesuffix(".py")
        for module, line in imports(path):
            yield own, part_of(module), f"{relative}:{line}"


def forbidden(found) -> list[str]:
    wrong = []
    for own, other, where in found:
        if other == own or other in LEAVES:
            continue
        assert own in ALLOWED, f"{where}: actionc.{own} is a new part; add it to ALLOWED"
        assert other in ALLOWED, f"{where}: actionc.{other} is a new part; add it to ALLOWED"
        if other not in ALLOWED[own] and not where.startswith(DEBTS.get((own, other), "\0")):
            wrong.append(f"{where}: actionc.{own} imports actionc.{other}")
    return wrong


def test_every_import_is_an_allowed_edge():
    assert forbidden(edges()) == []


@pytest.mark.parametrize(
    "edge",
    [
        ("codegen", "lang", "codegen/module.py:1"),  # the back end driving the front end
        ("run", "pipeline", "run/likelihood.py:1"),  # a consumer reassembling the stages
        ("derive", "lower", "derive/mechanics.py:1"),  # upstream importing downstream
        ("lang", "run", "lang/build.py:1"),
        ("codegen", "derive", "codegen/module.py:1"),  # the code generator doing calculus
    ],
)
def test_a_forbidden_import_fails_the_contract(edge):
    assert forbidden([edge]) == [f"{edge[2]}: actionc.{edge[0]} imports actionc.{edge[1]}"]


def test_every_debt_is_still_owed():
    found = {(own, other, where.split(":")[0]) for own, other, where in edges()}
    for (own, other), where in DEBTS.items():
        assert (own, other, where) in found, f"the debt {own} -> {other} ({where}) is paid: remove it from DEBTS"


def test_leaves_import_no_stage():
    for own, other, where in edges():
        if own in LEAVES:
            assert other in LEAVES or other == own, f"{where}: the leaf actionc.{own} imports actionc.{other}"


def test_integrators_do_no_calculus():
    """Jacobians, noise structure, discrete Lagrangians: lower computes them and
    System carries them; an integrator template only prints."""
    for path in sorted((PACKAGE / "codegen" / "integrators").glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any(n.split(".")[0] == "sympy" for n in names), f"{path.name}:{node.lineno} imports SymPy"
