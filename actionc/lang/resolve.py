"""AST → Model: give every name its meaning and build SymPy expressions.

Expressions are built node by node from the AST with SymPy constructors;
nothing the person wrote is ever evaluated as Python. Every check of
meaning lives here, each with a message that says where, what and what to
do. Names must be declared before they are used.
"""

from __future__ import annotations

import bisect
import math
import operator
from dataclasses import dataclass
from typing import Callable

import sympy

from actionc import symbols
from actionc.errors import ModelError, Span, did_you_mean
from actionc.forward import PRESETS
from actionc.forward import settings as forward_settings
from actionc.functions import DISTRIBUTIONS, FUNCTIONS
from actionc.lang import constants
from actionc.lang import syntax as ast
from actionc.model import Calculus, Component, Initial, Kind, Let, Model, Param

DYNAMICS = ("lagrangian", "hamiltonian", "energy")
DATA_KEYS = ("weight", "mean", "std", "cov")
RESERVED = {"t": "time", "pi": "the constant π"}
MAX_DEPTH = 200  # nesting of powers, signs and calls; sums and products are flat
MAX_INLINED_SIZE = 300_000  # terms of all expressions with lets put in place: about 3 s of SymPy
_NON_FINITE = (sympy.zoo, sympy.oo, -sympy.oo, sympy.nan)


@dataclass
class _Entry:
    """A declared name: its role and where it was declared."""

    role: str  # param, coord, momentum, state, let
    span: Span
    symbol: sympy.Symbol
    value: sympy.Expr | None = None  # params: the symbol; lets: the inlined value


class _Resolver:
    def __init__(self, module: ast.Module, filename: str, source: str) -> None:
        self.module = module
        self.filename, self.source = filename, source
        self.names: dict[str, _Entry] = {}
        self.later: dict[str, int] = {}  # every declared name -> its line
        self.written: dict[str, sympy.Expr] = {}
        # let symbols (and the symbols of their primes) -> their inlined values
        self.inlined: dict[sympy.Symbol, sympy.Expr] = {}
        self.spans: dict[str, Span] = {}
        self.item_lines: list[tuple[int, str]] = []  # (line, comment key), in source order
        self.kind: Kind | None = None
        self.param_values: dict[sympy.Symbol, float] = {}
        self.inlined_size = 0  # terms of the expressions that use lets, with the lets put in place

    # ---- the passes ----------------------------------------------------

    def resolve(self) -> Model:
        statements = self.module.statements
        self._check_declarations(statements)
        self.kind = self._decide_kind(statements)
        fields: dict = {"forces": [], "init": [], "sde": {}, "lets": [], "params": [], "data": []}
        for statement in statements:
            self._statement(statement, fields)
        return self._finish(fields)

    def _check_declarations(self, statements) -> None:
        """Every declared name once, none reserved; remember lines for
        'used before it is declared' messages."""
        seen: dict[str, Span] = {}
        function_like = set(FUNCTIONS) | set(DISTRIBUTIONS)
        for ident in _declared_idents(statements):
            name = ident.name
            if name in RESERVED:
                raise ModelError(
                    f"'{name}' is reserved for {RESERVED[name]} and cannot be declared",
                    ident.span,
                    hint="choose another name",
                )
            if name in function_like:
                raise ModelError(
                    f"'{name}' is the name of a function and cannot be declared",
                    ident.span,
                    hint="choose another name",
                )
            if name in seen:
                raise ModelError(
                    f"duplicate declaration of '{name}' (first declared on line {seen[name].line})",
                    ident.span,
                    hint="every name is declared once; rename one of them",
                )
            seen[name] = ident.span
            self.later[name] = ident.span.line
        first_expr: dict[str, Span] = {}
        for statement in statements:
            if isinstance(statement, ast.ExprStmt):
                key = statement.keyword
                if key.name in first_expr:
                    raise ModelError(
                        f"duplicate '{key.name}' (first given on line {first_expr[key.name].line})",
                        key.span,
                        hint=f"a model has one '{key.name}'; combine the two expressions",
                    )
                first_expr[key.name] = key.span

    def _decide_kind(self, statements) -> Kind:
        found: list[tuple[Kind, ast.Ident]] = []
        for statement in statements:
            if isinstance(statement, ast.ExprStmt) and statement.keyword.name in DYNAMICS:
                found.append((Kind(statement.keyword.name), statement.keyword))
            elif isinstance(statement, ast.SdeStmt) and all(k is not Kind.SDE for k, _ in found):
                found.append((Kind.SDE, ast.Ident("SDE equation", statement.target.span)))
            elif isinstance(statement, ast.ForwardStmt) and all(k is not Kind.SDE for k, _ in found):
                found.append((Kind.SDE, ast.Ident("SDE equation", statement.preset.span)))
        if not found:
            decl = self.module.model
            raise ModelError(
                f"model '{decl.name.name}' declares no dynamics",
                decl.name.span,
                hint="add one of 'lagrangian = …', 'hamiltonian = …', 'energy = …', "
                "SDE equations 'dx = … dt + … dW', or a diffusion model's 'forward vp'",
            )
        (kind, first), *rest = found
        if rest:
            _, other = rest[0]
            raise ModelError(
                f"{_dynamics_words(other)} cannot be combined with {_dynamics_words(first)} (line {first.span.line})",
                other.span,
                hint="a model has one kind of dynamics: lagrangian, hamiltonian, energy, or SDE equations",
            )
        return kind

    # ---- statements ----------------------------------------------------

    def _statement(self, statement, fields) -> None:
        handler: Callable = getattr(self, "_" + type(statement).__name__)
        handler(statement, fields)

    def _ParamStmt(self, statement: ast.ParamStmt, fields) -> None:
        for item in statement.items:
            name = item.name.name
            _, default = self._expr(item.value, constant=f"the default value of parameter '{name}'")
            value = _number(default, self.param_values)
            if value is None:
                raise ModelError(
                    f"parameter '{name}' has no finite real value",
                    item.value.span,
                    hint="check for a division by zero, log of zero, or square root of a negative number",
                )
            symbol = symbols.symbol(name)
            fields["params"].append(Param(symbol, default, value))
            self.param_values[symbol] = value
            self._declare(name, "param", item.name.span, symbol, symbol)
            self._item(item.name.span.line, f"param {name}")

    def _DeclStmt(self, statement: ast.DeclStmt, fields) -> None:
        role = {"coord": "coord", "momentum": "momentum", "state": "state"}[statement.keyword]
        allowed = {
            "coord": (Kind.LAGRANGIAN, Kind.HAMILTONIAN),
            "momentum": (Kind.LAGRANGIAN, Kind.HAMILTONIAN),
            "state": (Kind.ENERGY, Kind.SDE),
        }[role]
        if self.kind not in allowed:
            hint = (
                "energy and SDE models declare their variables with 'state'"
                if role != "state"
                else "mechanical models declare generalized coordinates with 'coord'"
            )
            raise ModelError(
                f"'{statement.keyword}' does not belong in {_a_model(self.kind)}",
                Span(statement.span.line, statement.span.column, len(statement.keyword)),
                hint=hint,
            )
        for ident in statement.names:
            self._declare(ident.name, role, ident.span, symbols.symbol(ident.name))
            fields.setdefault(role, []).append(ident)
            self._item(ident.span.line, f"{role} {ident.name}")
            if role == "coord" and self.kind is Kind.HAMILTONIAN and not self._names_momenta():
                # H is written in the default momentum names p_q
                momentum = symbols.default_momentum_name(ident.name)
                if momentum not in self.names:
                    self.names[momentum] = _Entry("momentum", ident.span, symbols.symbol(momentum))

    def _names_momenta(self) -> bool:
        return any(isinstance(s, ast.DeclStmt) and s.keyword == "momentum" for s in self.module.statements)

    def _LetStmt(self, statement: ast.LetStmt, fields) -> None:
        name = statement.name.name
        written, value = self._expr(statement.value)
        symbol = symbols.symbol(name)
        fields["lets"].append(Let(symbol, written, value))
        self.inlined[symbol] = value
        coordinates = [e.symbol for e in self.names.values() if e.role == "coord"]
        if not value.free_symbols & {symbols.velocity(q) for q in coordinates}:
            # name' is the total time derivative: the chain rule through the coordinates, plus ∂/∂t
            derivative = sympy.diff(value, symbols.time)
            for q in coordinates:
                derivative += sympy.diff(value, q) * symbols.velocity(q)
            self.inlined[symbols.symbol(symbols.velocity_name(name))] = derivative
        self._declare(name, "let", statement.name.span, symbol, value)
        self._item(statement.name.span.line, f"let {name}")

    def _ExprStmt(self, statement: ast.ExprStmt, fields) -> None:
        key = statement.keyword.name
        kinds = {
            "dissipation": (Kind.LAGRANGIAN,),
            "temperature": (Kind.LAGRANGIAN, Kind.ENERGY),
            "friction": (Kind.ENERGY,),
            "density": (Kind.SDE,),
            "horizon": (Kind.SDE,),
        }.get(key, (self.kind,))
        if self.kind not in kinds:
            raise ModelError(
                f"'{key}' does not belong in {_a_model(self.kind)}",
                statement.keyword.span,
                hint=_misplaced_hint(key),
            )
        constant = f"the {key}" if key in ("temperature", "friction", "horizon") else None
        self.written[key], fields[key] = self._expr(statement.value, constant=constant)
        self.spans[key] = statement.keyword.span
        self._item(statement.keyword.span.line, key)

    def _ForceStmt(self, statement: ast.ForceStmt, fields) -> None:
        name = statement.coord.name
        if not self.kind.is_mechanical:
            raise ModelError(
                f"'force' does not belong in {_a_model(self.kind)}",
                Span(statement.span.line, statement.span.column, len("force")),
                hint=_misplaced_hint("force"),
            )
        entry = self.names.get(name)
        if entry is None or entry.role != "coord":
            coords = [n for n, e in self.names.items() if e.role == "coord"]
            what = f"'{name}' is a {_role_words(entry.role)}" if entry else f"unknown coordinate '{name}'"
            raise ModelError(
                f"force on {what}; forces act on coordinates",
                statement.coord.span,
                hint=did_you_mean(name, coords) or f"the coordinates are: {', '.join(coords)}",
            )
        key = f"force {name}"
        if key in self.spans:
            raise ModelError(
                f"duplicate force on '{name}' (first given on line {self.spans[key].line})",
                statement.coord.span,
                hint="add the two forces in one 'force' statement",
            )
        self.written[key], value = self._expr(statement.value)
        fields["forces"].append((entry.symbol, value))
        self.spans[key] = statement.coord.span
        self._item(statement.coord.span.line, key)

    def _NoiseStmt(self, statement: ast.NoiseStmt, fields) -> None:
        if self.kind is not Kind.SDE:
            raise ModelError(
                f"'noise' does not belong in {_a_model(self.kind)}",
                Span(statement.span.line, statement.span.column, len("noise")),
                hint="'noise ito' or 'noise stratonovich' sets the calculus of SDE equations",
            )
        name = statement.calculus.name
        calculi = [c.value for c in Calculus]
        if name not in calculi:
            raise ModelError(
                f"unknown calculus '{name}'",
                statement.calculus.span,
                hint=did_you_mean(name, calculi) or "write 'noise ito' or 'noise stratonovich'",
            )
        if "calculus" in fields:
            raise ModelError(
                "the calculus is set twice",
                statement.calculus.span,
                hint="keep one 'noise' statement",
            )
        fields["calculus"] = Calculus(name)
        self._item(statement.calculus.span.line, "noise")

    def _SdeStmt(self, statement: ast.SdeStmt, fields) -> None:
        target = statement.target
        state_name = target.name[1:] if target.name.startswith("d") else None
        entry = self.names.get(state_name) if state_name else None
        if entry is None or entry.role != "state":
            states = [n for n, e in self.names.items() if e.role == "state"]
            if state_name is None:
                message = f"the left side of an SDE equation is 'd' and a state name, not '{target.name}'"
            elif state_name in self.later and state_name not in self.names:
                message = f"SDE equation for '{state_name}', which is declared later (line {self.later[state_name]})"
            else:
                message = f"SDE equation for undeclared state '{state_name}'"
            hint = did_you_mean(state_name or target.name, states) if states else None
            raise ModelError(
                message,
                target.span,
                hint=hint or f"declare it first with 'state {state_name or 'x'}'",
            )
        if state_name in fields["sde"]:
            first = fields["sde"][state_name][0]
            raise ModelError(
                f"two SDE equations for '{state_name}' (the first on line {first.span.line})",
                target.span,
                hint="each state variable has exactly one SDE equation",
            )
        written, inlined = self._sde_terms(statement)
        fields["sde"][state_name] = (statement, inlined)
        self.written.update(
            {
                f"{kind} {state_name}{' ' + noise if noise else ''}": value
                for (kind, noise), value in written.items()
                if value != 0
            }
        )
        self.spans[f"sde {state_name}"] = target.span
        self._item(target.span.line, f"sde {state_name}")

    def _sde_terms(self, statement: ast.SdeStmt):
        """(kind, noise) -> coefficient, as written and with lets inlined:
        ('drift', None) and ('diffusion', 'W1') for dt and dW1 terms."""
        written: dict[tuple[str, str | None], sympy.Expr] = {}
        inlined: dict[tuple[str, str | None], sympy.Expr] = {}
        one = sympy.Integer(1)
        for term in statement.terms:
            as_written, value = (one, one) if term.coefficient is None else self._expr(term.coefficient)
            differential = term.differential.name
            key = ("drift", None) if differential == "dt" else ("diffusion", differential[1:])
            written[key] = written.get(key, sympy.Integer(0)) + term.sign * as_written
            inlined[key] = inlined.get(key, sympy.Integer(0)) + term.sign * value
        return written, inlined

    def _DataStmt(self, statement: ast.DataStmt, fields) -> None:
        keyword = Span(statement.span.line, statement.span.column, len("data"))
        if self.kind is not Kind.SDE:
            raise ModelError(f"'data' does not belong in {_a_model(self.kind)}", keyword, hint=_misplaced_hint("data"))
        n = len(fields.get("state", []))
        if n == 0:
            raise ModelError("'data' before the state is declared", keyword, hint="declare it first with 'state x, y'")
        items = _keyed(
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
        written = tuple((key, self._array(item.value, as_written=True)) for key, item in items.items())
        weight = self._data_value(items["weight"], "scalar", n) if "weight" in items else sympy.Integer(1)
        mean = self._data_value(items["mean"], "vector", n)
        if "std" in items:
            std = self._data_value(items["std"], "vector", n)
            cov = tuple(tuple(std[i] ** 2 if i == j else sympy.Integer(0) for j in range(n)) for i in range(n))
        else:
            cov = self._data_value(items["cov"], "matrix", n)
        fields["data"].append(Component(weight, mean, cov, written))
        key = f"data {len(fields['data'])}"
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
        number = _number(value, self.param_values)
        if key in ("weight", "std") and number is not None and number <= 0:
            raise ModelError(f"a data {key} must be positive", node.span, hint=f"this one is {number:g}")
        return value

    def _array(self, node, as_written: bool = False):
        """Nested tuples of the expressions of an array (as written, or inlined)."""
        if isinstance(node, ast.Array):
            return tuple(self._array(item, as_written) for item in node.items)
        written, value = self._expr(node, constant="a data value")
        return written if as_written else value

    def _ForwardStmt(self, statement: ast.ForwardStmt, fields) -> None:
        preset = statement.preset
        if preset.name not in PRESETS:
            raise ModelError(
                f"unknown forward SDE '{preset.name}'",
                preset.span,
                hint=did_you_mean(preset.name, PRESETS) or f"the presets are: {', '.join(PRESETS)}",
            )
        if "forward" in fields:
            raise ModelError("a second 'forward'", preset.span, hint="a model has one forward SDE")
        defaults = PRESETS[preset.name].defaults
        items = _keyed(
            statement.items,
            defaults,
            f"'{preset.name}' has no setting '{{}}'",
            f"its settings are: {', '.join(defaults)}",
        )
        settings = {name: self._expr(item.value, constant=f"the setting '{name}'")[1] for name, item in items.items()}
        fields["forward"] = (preset.name, tuple(settings.items()))
        self.spans["forward"] = preset.span
        self._item(statement.span.line, "forward")

    def _InitStmt(self, statement: ast.InitStmt, fields) -> None:
        for item in statement.items:
            name = item.name.name
            label = f"{name}'" if item.prime else name
            target = self._init_target(item)
            key = f"init {label}"
            if key in self.spans:
                raise ModelError(
                    f"initial value of {label} given twice (first on line {self.spans[key].line})",
                    item.name.span,
                    hint="keep one of them",
                )
            value = item.value
            if isinstance(value, ast.Call) and value.function in DISTRIBUTIONS:
                parameters = DISTRIBUTIONS[value.function]
                if len(value.args) != len(parameters):
                    raise ModelError(
                        f"{value.function}() takes {len(parameters)} arguments "
                        f"({', '.join(parameters)}), got {len(value.args)}",
                        value.name_span,
                        hint=f"write {value.function}({', '.join(parameters)})",
                    )
                args = tuple(self._expr(a, constant=f"an argument of {value.function}()")[1] for a in value.args)
                initial = Initial(target, value.function, args)
            else:
                initial = Initial(target, "value", (self._expr(value, constant="an initial value")[1],))
            fields["init"].append(initial)
            self.spans[key] = item.name.span
            self._item(item.name.span.line, key)

    def _init_target(self, item: ast.InitItem) -> sympy.Symbol:
        name = item.name.name
        entry = self.names.get(name)
        if entry is None:
            known = [n for n, e in self.names.items() if e.role in ("coord", "momentum", "state")]
            raise self._unknown(name, item.name.span, known)
        if item.prime:
            if entry.role != "coord":
                raise self._bad_velocity(name, entry, item.name.span)
            if self.kind is Kind.HAMILTONIAN:
                raise ModelError(
                    "a hamiltonian model starts from coordinates and momenta, not velocities",
                    item.name.span,
                    hint=f"set the momentum of '{name}' instead",
                )
            return symbols.velocity(entry.symbol)
        if entry.role == "momentum" and self.kind is Kind.LAGRANGIAN:
            raise ModelError(
                "a lagrangian model starts from coordinates and velocities, not momenta",
                item.name.span,
                hint="set the velocity instead, written with a prime: q' = …",
            )
        if entry.role not in ("coord", "momentum", "state"):
            raise ModelError(
                f"'{name}' is a {_role_words(entry.role)}; only state variables have initial values",
                item.name.span,
                hint="parameters take their values in 'param' (or with --set at run time)"
                if entry.role == "param"
                else None,
            )
        return entry.symbol

    # ---- the end -------------------------------------------------------

    def _finish(self, fields) -> Model:
        decl = self.module.model
        kind = self.kind
        model: dict = {"name": decl.name.name, "doc": decl.doc, "kind": kind}
        model["params"] = tuple(fields["params"])
        model["lets"] = tuple(fields["lets"])
        if kind.is_mechanical:
            coords = fields.get("coord", [])
            if not coords:
                raise ModelError(
                    f"{_a_model(kind)} needs generalized coordinates",
                    decl.name.span,
                    hint="declare them with 'coord q1, q2'",
                )
            coordinates = tuple(symbols.symbol(c.name) for c in coords)
            momentum_idents = fields.get("momentum", [])
            if momentum_idents and len(momentum_idents) != len(coords):
                raise ModelError(
                    f"{len(momentum_idents)} momentum names for {len(coords)} coordinates",
                    momentum_idents[0].span,
                    hint="name one momentum per coordinate, in the order of the coordinates",
                )
            model["coordinates"] = coordinates
            model["velocities"] = tuple(symbols.velocity(q) for q in coordinates)
            model["momenta"] = tuple(symbols.symbol(m.name) for m in momentum_idents) or tuple(
                symbols.symbol(symbols.default_momentum_name(q.name)) for q in coordinates
            )
            model["momenta_declared"] = bool(momentum_idents)
            model["forces"] = tuple(fields["forces"])
        else:
            states = fields.get("state", [])
            if not states:
                raise ModelError(
                    f"{_a_model(kind)} needs state variables",
                    decl.name.span,
                    hint="declare them with 'state x, y'",
                )
            model["state"] = tuple(symbols.symbol(s.name) for s in states)
        for key in ("lagrangian", "hamiltonian", "energy", "dissipation", "temperature", "friction"):
            model[key] = fields.get(key)
        if kind is Kind.LAGRANGIAN and fields.get("temperature") is not None and fields.get("dissipation") is None:
            raise ModelError(
                "a temperature needs a dissipation function: its friction sets the noise",
                self.spans["temperature"],
                hint="add 'dissipation = …', e.g. dissipation = gamma*q'^2/2 (fluctuation–dissipation)",
            )
        if kind is Kind.SDE:
            self._finish_sde(fields, model)
            self._finish_diffusion(fields, model)
        self._check_derived_names(model)
        init_order = {s: i for i, s in enumerate(_variables(kind, model))}
        model["init"] = tuple(sorted(fields["init"], key=lambda i: init_order[i.target]))
        model["written"] = self.written
        model["comments"] = self._attach_comments()
        model["spans"] = self.spans
        return Model(**model, filename=self.filename, source=self.source)

    def _finish_diffusion(self, fields, model) -> None:
        model["data"] = tuple(fields["data"])
        model["density"] = fields.get("density")
        model["horizon"] = fields.get("horizon")
        if model["data"] and model["density"] is not None:
            raise ModelError(
                "a model with data has the density of its diffusion; it cannot also give one",
                self.spans["density"],
                hint="remove 'density = …' (actionc derives p_t from the data and the forward SDE)",
            )
        if model["horizon"] is not None:
            value = _number(model["horizon"], self.param_values)
            if value is not None and value <= 0:
                raise ModelError("the horizon must be positive", self.spans["horizon"], hint=f"it is {value:g}")

    def _finish_sde(self, fields, model) -> None:
        states = fields["state"]
        if "forward" in fields:
            if fields["sde"]:
                statement, _ = next(iter(fields["sde"].values()))
                raise ModelError(
                    "SDE equations cannot be combined with a 'forward' preset",
                    statement.target.span,
                    hint="the preset writes the equation of every state variable; keep one or the other",
                )
            name, settings = fields["forward"]
            preset = PRESETS[name]
            values = forward_settings(preset, settings)
            model["forward"] = fields["forward"]
            model["noises"] = tuple(f"W{x.name}" for x in states)
            rate, noise = preset.rate(symbols.time, values), preset.noise(symbols.time, values)
            model["drift"] = tuple(rate * symbols.symbol(x.name) for x in states)
            model["diffusion"] = tuple(
                tuple(noise if i == j else sympy.Integer(0) for j in range(len(states))) for i in range(len(states))
            )
            model["calculus"] = Calculus.ITO
            return
        for ident in states:
            if ident.name not in fields["sde"]:
                raise ModelError(
                    f"state '{ident.name}' has no SDE equation",
                    ident.span,
                    hint=f"add 'd{ident.name} = … dt + … dW' (a constant state: 'd{ident.name} = 0 dt')",
                )
        noises: list[str] = []
        for ident in states:  # noises in order of first appearance
            statement, _ = fields["sde"][ident.name]
            for term in statement.terms:
                noise = term.differential.name[1:]
                if term.differential.name != "dt" and noise not in noises:
                    noises.append(noise)
        noises.sort(
            key=lambda n: min(
                (t.span.line, t.span.column)
                for s, _ in fields["sde"].values()
                for t in s.terms
                if t.differential.name[1:] == n
            )
        )
        zero = sympy.Integer(0)
        model["noises"] = tuple(noises)
        model["drift"] = tuple(fields["sde"][s.name][1].get(("drift", None), zero) for s in states)
        model["diffusion"] = tuple(
            tuple(fields["sde"][s.name][1].get(("diffusion", n), zero) for n in noises) for s in states
        )
        model["calculus"] = fields.get("calculus", Calculus.ITO)

    def _check_derived_names(self, model) -> None:
        """Derived names (q_dot, p_q) must not collide with declared ones."""
        derived: dict[str, str] = {}
        for q in model.get("coordinates", ()):
            derived[symbols.velocity_name(q.name)] = f"the velocity of '{q.name}'"
            derived[symbols.acceleration_name(q.name)] = f"the acceleration of '{q.name}'"
            if not model.get("momenta_declared"):
                derived[symbols.default_momentum_name(q.name)] = f"the momentum of '{q.name}'"
        for name, entry in self.names.items():
            if name in derived and entry.role != "momentum":
                momentum = derived[name].startswith("the momentum")
                raise ModelError(
                    f"'{name}' is the name actionc gives {derived[name]}",
                    entry.span,
                    hint="choose another name" + (", or name the momenta with 'momentum …'" if momentum else ""),
                )

    def _attach_comments(self) -> dict[str, tuple[tuple[str, ...], str | None]]:
        """Each comment belongs to the item on its line (inline) or to the
        next item (own line); comments after the last item belong to 'end'."""
        decl = self.module.model
        items = sorted([(decl.span.line, "model"), *self.item_lines], key=lambda item: item[0])
        lines = [line for line, _ in items]
        leading: dict[str, list[str]] = {}
        inline: dict[str, str] = {}
        for comment in self.module.comments:
            if comment.inline:  # the last item on or before the comment's line
                key = items[bisect.bisect_right(lines, comment.line) - 1][1]
                inline[key] = comment.text if key not in inline else inline[key] + " " + comment.text[1:].strip()
            else:  # the first item after it
                after = bisect.bisect_right(lines, comment.line)
                key = items[after][1] if after < len(items) else "end"
                leading.setdefault(key, []).append(comment.text)
        return {k: (tuple(leading.get(k, ())), inline.get(k)) for k in sorted(set(leading) | set(inline))}

    # ---- names ---------------------------------------------------------

    def _declare(self, name: str, role: str, span: Span, symbol, value=None) -> None:
        self.names[name] = _Entry(role, span, symbol, value)
        self.spans[f"{role} {name}"] = span

    def _item(self, line: int, key: str) -> None:
        self.item_lines.append((line, key))

    def _unknown(self, name: str, span: Span, candidates) -> ModelError:
        if name in self.later:
            return ModelError(
                f"'{name}' is used before it is declared (on line {self.later[name]})",
                span,
                hint="move the declaration above its first use",
            )
        return ModelError(
            f"unknown name '{name}'",
            span,
            hint=did_you_mean(name, candidates) or "declare it with 'param', 'let', 'coord' or 'state'",
        )

    def _bad_velocity(self, name: str, entry: _Entry | None, span: Span) -> ModelError:
        what = f"a {_role_words(entry.role)}" if entry else "not declared"
        return ModelError(
            f"'{name}'' is not defined: '{name}' is {what}",
            span,
            hint="a prime takes the time derivative of a coordinate or of a let",
        )

    # ---- expressions ---------------------------------------------------

    def _expr(self, node: ast.Expr, *, constant: str | None = None) -> tuple[sympy.Expr, sympy.Expr]:
        """The SymPy expression of `node` as written (lets as symbols) and
        with the lets inlined. `constant` names what must not depend on the
        state or time."""
        builder = _Builder(self, constant)
        written = builder.build(node)
        try:
            value = constants.substitute(written, self.inlined, builder.memo)
        except constants.OutOfRange as error:
            raise ModelError(error.message, node.span, hint=error.hint) from None
        if value is not written:  # lets put in place: their size adds up, and so does the time
            self.inlined_size += constants.size(value, MAX_INLINED_SIZE - self.inlined_size)
            if self.inlined_size > MAX_INLINED_SIZE:
                raise ModelError(
                    f"with their lets put in place, the expressions of this model have more than "
                    f"{MAX_INLINED_SIZE:,} terms",
                    node.span,
                    hint="each let is put in place where it is used, so a long chain of lets that each use "
                    "the one before grows quadratically; use fewer levels of lets",
                )
        if value.has(*_NON_FINITE):
            raise ModelError(
                "this expression is not finite",
                node.span,
                hint="check for a division by zero or log(0)",
            )
        if value.has(sympy.I):
            raise ModelError(
                "this expression is not real",
                node.span,
                hint="check for the square root or log of a negative number",
            )
        return written, value


class _Builder:
    """Builds one expression, node by node."""

    def __init__(self, resolver: _Resolver, constant: str | None) -> None:
        self.r = resolver
        self.constant = constant
        self.depth = 0
        self.memo: dict = {}  # constant subexpressions -> their double values

    def build(self, node: ast.Expr) -> sympy.Expr:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ModelError(
                f"this expression is nested more than {MAX_DEPTH} deep",
                node.span,
                hint="split it with 'let'",
            )
        try:
            return self._build(node)
        except constants.OutOfRange as error:
            raise ModelError(error.message, node.span, hint=error.hint) from None
        finally:
            self.depth -= 1

    def _build(self, node: ast.Expr) -> sympy.Expr:
        if isinstance(node, ast.Number):
            return _number_literal(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.Velocity):
            return self.velocity(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Unary):
            operand = self.build(node.operand)
            return -operand if node.op == "-" else operand
        if node.op in "+-":
            return self.combined(sympy.Add, self.chain(node, "+-"))
        if node.op in "*/":
            return self.combined(sympy.Mul, self.chain(node, "*/"))
        return self.power(node)

    def combined(self, operation, operands: list[sympy.Expr]) -> sympy.Expr:
        """The sum or product of a chain, its numbers folded first one at a
        time within bounds (see constants)."""
        split = [o.as_coeff_Add() if operation is sympy.Add else o.as_coeff_Mul() for o in operands]
        combine = operator.add if operation is sympy.Add else operator.mul
        number = constants.fold([number for number, _ in split], combine, self.memo)
        return constants.within_range(operation(number, *(rest for _, rest in split)), self.memo)

    def chain(self, node: ast.Binary, ops: str) -> list[sympy.Expr]:
        """The operands of a left-associated chain like a - b + c, built in
        one pass (no recursion down the chain, and one Add instead of many)."""
        rights = []
        while isinstance(node, ast.Binary) and node.op in ops:
            rights.append((node.op, node.right))
            node = node.left
        operands = [self.build(node)]
        for op, right in reversed(rights):
            value = self.build(right)
            if op == "-":
                value = -value
            elif op == "/":
                if value == 0:
                    raise ModelError("division by zero", right.span, hint="this denominator is zero")
                value = 1 / value
            operands.append(value)
        return operands

    def power(self, node: ast.Binary) -> sympy.Expr:
        base, exponent = self.build(node.left), self.build(node.right)
        if base == 0 and exponent.is_negative:
            raise ModelError("division by zero", node.span, hint="a negative power of zero")
        return constants.power(base, exponent, self.memo)

    def _not_constant(self, what: str, span: Span) -> ModelError:
        return ModelError(
            f"{self.constant} must be constant, but it uses {what}",
            span,
            hint="constant expressions may use numbers, parameters and pi",
        )

    def name(self, node: ast.Name) -> sympy.Expr:
        name = node.name
        if name == "pi":
            return sympy.pi
        if name == "t":
            if self.constant:
                raise self._not_constant("the time 't'", node.span)
            return symbols.time
        if name in FUNCTIONS or name in DISTRIBUTIONS:
            raise ModelError(
                f"'{name}' is a function; call it with its argument in parentheses",
                node.span,
                hint=f"write {name}(…)",
            )
        entry = self.r.names.get(name)
        if entry is None:
            raise self.r._unknown(name, node.span, [*self.r.names, "t", "pi"])
        kind = self.r.kind
        if entry.role == "param":
            return entry.symbol
        if self.constant:
            if entry.role == "let" and not (entry.value.free_symbols - self._params()):
                return entry.symbol
            raise self._not_constant(f"the {_role_words(entry.role)} '{name}'", node.span)
        if entry.role == "momentum" and kind is Kind.LAGRANGIAN:
            raise ModelError(
                f"momentum '{name}' cannot be used in a lagrangian model",
                node.span,
                hint="a lagrangian model is written in coordinates and velocities (q')",
            )
        return entry.symbol

    def _params(self) -> set:
        return {e.symbol for e in self.r.names.values() if e.role == "param"}

    def velocity(self, node: ast.Velocity) -> sympy.Expr:
        name = node.name
        kind = self.r.kind
        entry = self.r.names.get(name)
        if kind in (Kind.ENERGY, Kind.SDE) and entry is not None and entry.role in ("state", "let"):
            raise ModelError(
                f"velocities have no meaning in {_a_model(kind)}",
                node.span,
                hint="energy and SDE models are first order in their state; "
                "a velocity needs a mechanical model (lagrangian with 'coord')",
            )
        if entry is None and name not in self.r.later:
            raise self.r._bad_velocity(name, None, node.span)
        if entry is None:
            raise self.r._unknown(name, node.span, [])
        if entry.role not in ("coord", "let"):
            raise self.r._bad_velocity(name, entry, node.span)
        if kind is Kind.HAMILTONIAN:
            raise ModelError(
                "velocities cannot be used in a hamiltonian model",
                node.span,
                hint="a hamiltonian model is written in coordinates and momenta",
            )
        if self.constant:
            raise self._not_constant(f"the velocity {name}'", node.span)
        if entry.role == "coord":
            return symbols.velocity(entry.symbol)
        value = entry.value
        velocities = {e.symbol for e in self.r.names.values() if e.role == "coord"}
        velocities = {symbols.velocity(q) for q in velocities}
        if value.free_symbols & velocities:
            raise ModelError(
                f"{name}' would need accelerations: let '{name}' depends on velocities",
                node.span,
                hint="take primes only of lets that depend on coordinates and time",
            )
        return symbols.symbol(symbols.velocity_name(name))

    def call(self, node: ast.Call) -> sympy.Expr:
        name = node.function
        if name in DISTRIBUTIONS:
            raise ModelError(
                f"{name}() draws a random initial value and can only be the whole value in 'init'",
                node.name_span,
                hint=f"write e.g. 'init x = {name}(0, 1)'",
            )
        function = FUNCTIONS.get(name)
        if function is None:
            entry = self.r.names.get(name)
            if entry is not None:
                raise ModelError(
                    f"'{name}' is a {_role_words(entry.role)}, not a function",
                    node.name_span,
                    hint=f"to multiply, write {name}*(…)",
                )
            raise ModelError(
                f"unknown function '{name}'",
                node.name_span,
                hint=did_you_mean(name, FUNCTIONS) or "the functions are: " + ", ".join(FUNCTIONS),
            )
        if len(node.args) != function.arity:
            plural = "argument" if function.arity == 1 else "arguments"
            raise ModelError(
                f"{name}() takes {function.arity} {plural}, got {len(node.args)}",
                node.name_span,
                hint=f"write {function.signature}",
            )
        args = [self.build(a) for a in node.args]
        return constants.within_range(function.build(*args), self.memo)


# ---- small helpers ---------------------------------------------------------


def _declared_idents(statements):
    for statement in statements:
        if isinstance(statement, ast.ParamStmt):
            yield from (item.name for item in statement.items)
        elif isinstance(statement, ast.DeclStmt):
            yield from statement.names
        elif isinstance(statement, ast.LetStmt):
            yield statement.name


def _keyed(items, allowed, unknown: str, fallback: str) -> dict:
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


def _variables(kind: Kind, model: dict) -> tuple:
    if kind is Kind.LAGRANGIAN:
        return model["coordinates"] + model["velocities"]
    if kind is Kind.HAMILTONIAN:
        return model["coordinates"] + model["momenta"]
    return model["state"]


def _number_literal(node: ast.Number) -> sympy.Expr:
    text = node.text
    if len(text) > 100:
        raise ModelError(
            "this number has too many digits", node.span, hint="write it in scientific notation, like 1e120"
        )
    if all(c.isdigit() for c in text):
        return sympy.Integer(text)
    value = float(text)
    if not math.isfinite(value):
        raise ModelError(f"the number {text} is too large", node.span, hint="doubles reach about 1.8e308")
    return sympy.Float(value)


def _number(expr: sympy.Expr, params: dict[sympy.Symbol, float]) -> float | None:
    """The finite real value of a constant expression, parameters at their values, or None."""
    value = constants.value(expr, params)
    return value if value is not None and math.isfinite(value) else None


def _role_words(role: str) -> str:
    return {
        "param": "parameter",
        "coord": "coordinate",
        "momentum": "momentum",
        "state": "state variable",
        "let": "let",
    }[role]


def _dynamics_words(ident: ast.Ident) -> str:
    if ident.name == "SDE equation":
        return "SDE equations"
    return f"an '{ident.name}'" if ident.name == "energy" else f"a '{ident.name}'"


def _a_model(kind: Kind) -> str:
    return {Kind.ENERGY: "an energy model", Kind.SDE: "an SDE model"}.get(kind, f"a {kind.value} model")


def _misplaced_hint(key: str) -> str:
    return {
        "dissipation": "a Rayleigh dissipation function (in velocities) needs a lagrangian model",
        "temperature": "thermal noise belongs to energy models, and to lagrangian models with a dissipation function",
        "friction": "'friction' sets γ of an energy model's Langevin dynamics; a lagrangian model uses 'dissipation'",
        "force": "generalized forces act on the coordinates of a lagrangian or hamiltonian model",
        "density": "a time-dependent density p_t belongs to an SDE model (it gives its reverse-time SDE)",
        "horizon": "the horizon T of sampling belongs to an SDE model with data or a density",
        "data": "a data distribution belongs to a diffusion model: state variables and a forward SDE",
    }[key]


def resolve(module: ast.Module, filename: str = "<string>", source: str = "") -> Model:
    """Give the AST its meaning: a Model, or a ModelError."""
    return _Resolver(module, filename, source).resolve()
