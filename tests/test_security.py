"""A model file can never execute code: Python constructs are syntax errors,
and no user text reaches eval, exec, sympify or parse_expr."""

import ast
from pathlib import Path

import pytest

import actionc

ATTEMPTS = [
    '__import__("os").system("touch /tmp/pwned")',
    "os.system",
    "x.__class__",
    "lambda y: y",
    '"text"',
    "x[0]",  # x is a scalar: indexing it is an error (arrays are declared with a range)
    "exec",
    "{1: 2}",
    "x if x else x",
    "f'{x}'",
    "x; import os",
    "`x`",
]


@pytest.mark.parametrize("attempt", ATTEMPTS)
def test_python_constructs_are_rejected(attempt):
    with pytest.raises(actionc.ModelError) as raised:
        actionc.parse(f"model m\nstate x\nenergy = {attempt}\n")
    message = str(raised.value)
    assert "unexpected" in message or "unknown" in message or "not an array" in message


def test_no_module_calls_eval_exec_sympify_or_parse_expr():
    forbidden = {"eval", "exec", "sympify", "parse_expr", "S", "lambdify"}
    package = Path(actionc.__file__).parent
    for path in package.rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                function = node.func
                name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", None)
                assert name not in forbidden, f"{path.name}:{node.lineno} calls {name}"
