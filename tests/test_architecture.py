"""The import contract: the pipeline's stages import only downstream-to-upstream
in one direction (text → Model → derivations → System → codegen → run)."""

import ast
from pathlib import Path

import actionc

PACKAGE = Path(actionc.__file__).parent

# A module may import from its own stage and from stages listed before it.
STAGES = [
    {"errors", "symbols", "functions", "forward", "samplers"},
    {"model"},
    {"lang"},
    {"derive"},
    {"system", "lower"},
    {"codegen"},
    {"run"},
    {"report", "plot", "highlight", "testing", "cli", "__init__"},
]


def stage_of(module: str) -> int:
    head = module.split(".")[1] if module.startswith("actionc.") else module
    for index, names in enumerate(STAGES):
        if head in names:
            return index
    raise AssertionError(f"actionc.{head} is in no stage of the pipeline; add it to STAGES")


def imports(path: Path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("actionc"):
            yield node.module, node.lineno
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("actionc"):
                    yield alias.name, node.lineno


def test_imports_flow_one_way_through_the_pipeline():
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE)
        own = relative.parts[0].removesuffix(".py")
        if own == "actionc" or relative.parts == ("__init__.py",):
            continue
        for module, line in imports(path):
            if module == "actionc":
                continue
            assert stage_of(module) <= stage_of("actionc." + own), (
                f"{relative}:{line} imports {module}, which is downstream of it"
            )
