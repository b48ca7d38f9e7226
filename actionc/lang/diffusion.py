"""The statements of diffusion models, for the resolver (lang/resolve.py,
which mixes this class in): a data distribution (`data …`, one Gaussian
component per line or per index of `data k in lo..hi:`), a preset forward
SDE (`forward vp, …`), and what is checked once they are all read."""

from __future__ import annotations

import sympy

from actionc.errors import ModelError, Span, did_you_mean
from actionc.forward import PRESETS
from actionc.lang import expressions, placement
from actionc.lang import syntax as ast
from actionc.lang.indexed import replaced
from actionc.model import Component

DATA_KEYS = ("weight", "mean", "std", "cov")


class DiffusionStatements:
    """Methods of the resolver for the data and forward SDE of diffusion models."""

    def _data(self, statement: ast.DataStmt) -> None:
        keyword = Span(statement.span.line, statement.span.column, len("data"))
        placement.check("data", self.kind, keyword)
        n = len(self.c.declared.get("state", []))
        if n == 0:
            raise ModelError("'data' before the state is declared", keyword, hint="declare it first with 'state x, y'")
        items = keyed(
            statement.items, DATA_KEYS, "unknown data item '{}'", "a component has a weight, a mean, and a std or a cov"
        )
        if "mean" not in items:
            raise ModelError("a data component needs a mean", keyword, hint="add 'mean = [...]'")
        if ("std" in items) == ("cov" in items):
            where = items["cov"].name.span if "cov" in items else keyword
            raise ModelError(
                "a data component has either a std or a cov" + (", not both" if "cov" in items else ""),
                where,
                hint="'std = s' (or one per state variable), or 'cov = [[…], …]'",
            )
        over, values = None, [None]
        if statement.over is not None:  # one component per value of the index
            over, values = self._data_index(statement.over)
            self.bound = expressions.Indices({over[0].name: over}, self.indices.sizes, self.indices.values)
        try:
            written = tuple((key, self._array(item.value, as_written=True)) for key, item in items.items())
            weight = self._data_value(items["weight"], "scalar", n) if "weight" in items else sympy.Integer(1)
            mean = self._data_value(items["mean"], "vector", n)
            if "std" in items:
                std = self._data_value(items["std"], "vector", n)
                cov = tuple(tuple(std[i] ** 2 if i == j else sympy.Integer(0) for j in range(n)) for i in range(n))
            else:
                cov = self._data_value(items["cov"], "matrix", n)
        finally:
            self.bound = None
        group = None if over is None else (over[0], over[1], over[2])  # one tuple: fmt prints the line once
        for value in values:
            at = {} if over is None else {over[0]: sympy.Integer(value)}
            self.c.data.append(
                Component(
                    replaced(weight, at),
                    replaced(mean, at),
                    replaced(cov, at),
                    written,
                    group,
                )
            )
            key = f"data {len(self.c.data)}"
            self.spans[key] = keyword
            self._item(statement.span.line, key)

    def _data_value(self, item: ast.DataItem, shape: str, n: int):
        """A weight (scalar), mean or std (vector: n numbers, or one for
        n = 1 or for a std), or cov (n × n, or a scalar for a multiple of I)."""
        key, value = item.name.name, item.value
        described = {"scalar": "a number", "vector": f"{n} values", "matrix": f"a {n}×{n} matrix"}[shape]
        if isinstance(value, ast.Array):
            built = self._array(value)
            flat_ok = shape == "vector" and all(not isinstance(v, tuple) for v in built) and len(built) == n
            rows_ok = shape == "matrix" and len(built) == n and all(isinstance(r, tuple) and len(r) == n for r in built)
            if not (flat_ok or rows_ok):
                raise ModelError(f"'{key}' needs {described}", value.span, hint=f"the model has {n} state variable(s)")
            if shape == "matrix":
                for i in range(n):
                    for j in range(i):
                        if sympy.simplify(built[i][j] - built[j][i]) != 0:
                            raise ModelError(
                                "the covariance is not symmetric", value.span, hint="cov[i][j] = cov[j][i]"
                            )
            return built
        scalar = self._data_scalar(value, key)
        if shape == "scalar":
            return scalar
        if shape == "vector" and (n == 1 or key == "std"):
            return (scalar,) * n
        if shape == "matrix":
            return tuple(tuple(scalar if i == j else sympy.Integer(0) for j in range(n)) for i in range(n))
        raise ModelError(f"'{key}' needs {described}", value.span, hint=f"write it as [{', '.join(['…'] * n)}]")

    def _data_scalar(self, node: ast.Expr, key: str) -> sympy.Expr:
        _, value = self._expr(node, constant=f"a data '{key}'")
        number = expressions.number(value, self.param_values)
        if key in ("weight", "std") and number is not None and number <= 0:
            raise ModelError(f"a data {key} must be positive", node.span, hint=f"this one is {number:g}")
        return value

    def _array(self, node, as_written: bool = False):
        """Nested tuples of the expressions of an array (as written, or inlined)."""
        if isinstance(node, ast.Array):
            return tuple(self._array(item, as_written) for item in node.items)
        written, value = self._expr(node, constant="a data value")
        return written if as_written else value

    def _forward(self, statement: ast.ForwardStmt) -> None:
        preset = statement.preset
        if preset.name not in PRESETS:
            raise ModelError(
                f"unknown forward SDE '{preset.name}'",
                preset.span,
                hint=did_you_mean(preset.name, PRESETS) or f"the presets are: {', '.join(PRESETS)}",
            )
        self._once("forward", preset.span, "a second 'forward'", "a model has one forward SDE")
        defaults = PRESETS[preset.name].defaults
        items = keyed(
            statement.items,
            defaults,
            f"'{preset.name}' has no setting '{{}}'",
            f"its settings are: {', '.join(defaults)}",
        )
        settings = {name: self._expr(item.value, constant=f"the setting '{name}'")[1] for name, item in items.items()}
        self.c.forward = (preset.name, tuple(settings.items()))
        self.spans["forward"] = preset.span
        self._item(statement.span.line, "forward")

    def _finish_diffusion(self, model) -> None:
        model["data"] = tuple(self.c.data)
        model["density"] = self.c.expressions.get("density")
        model["horizon"] = self.c.expressions.get("horizon")
        if model["data"] and model["density"] is not None:
            raise ModelError(
                "a model with data has the density of its diffusion; it cannot also give one",
                self.spans["density"],
                hint="remove 'density = …' (actionc derives p_t from the data and the forward SDE)",
            )
        if model["horizon"] is not None:
            value = expressions.number(model["horizon"], self.param_values)
            if value is not None and value <= 0:
                raise ModelError("the horizon must be positive", self.spans["horizon"], hint=f"it is {value:g}")


def keyed(items, allowed, unknown: str, fallback: str) -> dict:
    """`name = value` items by name: each known (`unknown` formats the error
    for one that is not) and given once."""
    found = {}
    for item in items:
        key = item.name.name
        if key not in allowed:
            raise ModelError(unknown.format(key), item.name.span, hint=did_you_mean(key, allowed) or fallback)
        if key in found:
            raise ModelError(f"'{key}' given twice", item.name.span, hint="give each item once")
        found[key] = item
    return found
