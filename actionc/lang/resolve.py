"""AST → Model: the statement resolver. Each statement is resolved in
order by its handler (one explicit table); names live in a Scope
(lang/scope.py), expressions are built node by node (lang/expressions.py),
and where each statement may appear is one table (lang/placement.py).
Every check of meaning lives in these modules, each with a message that
says where, what and what to do. Names must be declared before they are
used.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import sympy

from actionc import symbols
from actionc.errors import ModelError, Span, did_you_mean
from actionc.forward import PRESETS
from actionc.forward import settings as forward_settings
from actionc.functions import DISTRIBUTIONS
from actionc.lang import expressions, placement
from actionc.lang import syntax as ast
from actionc.lang.diffusion import DiffusionStatements
from actionc.lang.indexed import IndexedStatements
from actionc.lang.placement import a_model
from actionc.lang.scope import ROLE_WORDS, Scope
from actionc.model import Array, Calculus, Component, Initial, Input, Kind, Let, Model, Param


@dataclass
class _Collected:
    """What the statements give, gathered in order, for _finish to assemble."""

    params: list[Param] = field(default_factory=list)
    lets: list[Let] = field(default_factory=list)
    declared: dict[str, list[ast.Ident]] = field(default_factory=dict)  # coord, momentum, state -> names
    expressions: dict[str, sympy.Expr] = field(default_factory=dict)  # lagrangian, temperature, … -> value
    forces: list[tuple[sympy.Symbol, sympy.Expr]] = field(default_factory=list)
    calculus: Calculus | None = None
    sde: dict[str, tuple[ast.SdeStmt, dict]] = field(default_factory=dict)  # state -> (statement, terms)
    data: list[Component] = field(default_factory=list)
    forward: tuple[str, tuple] | None = None  # (preset, settings)
    init: list[Initial] = field(default_factory=list)


class _Resolver(IndexedStatements, DiffusionStatements):
    def __init__(self, module: ast.Module, filename: str, source: str) -> None:
        self.module = module
        self.filename, self.source = filename, source
        self.c = _Collected()
        self.written: dict[str, sympy.Expr] = {}
        self.order: dict = {}  # sums -> their terms as written
        # let symbols (and the symbols of their primes) -> their inlined values
        self.inlined: dict[sympy.Symbol, sympy.Expr] = {}
        self.spans: dict[str, Span] = {}
        self.given: dict[str, Span] = {}  # what may be given once -> where it first was
        self.item_lines: list[tuple[int, str]] = []  # (line, comment key), in source order
        self.kind: Kind | None = None
        self.param_values: dict[sympy.Symbol, float] = {}
        self.budget = expressions.Budget()  # terms of the expressions that use lets, with the lets put in place
        self.indices = expressions.Indices()  # the sizes used so far (params that are whole numbers ≥ 1)
        self.arrays: dict[str, Array] = {}
        self.data_sizes: set = set()
        self.bound: expressions.Indices | None = (
            None  # the index of a `data k in …:` line, while it is read  # sizes that an input's shape sets at run time
        )
        self.inputs: list[Input] = []

    def resolve(self) -> Model:
        statements = self.module.statements
        self.scope = Scope(statements)
        placement.check_single_expressions(statements)
        self.kind = placement.decide_kind(self.module)
        handlers = {
            ast.ParamStmt: self._param,
            ast.DeclStmt: self._declaration,
            ast.LetStmt: self._let,
            ast.ExprStmt: self._expression_statement,
            ast.ForceStmt: self._force,
            ast.NoiseStmt: self._noise,
            ast.SdeStmt: self._sde,
            ast.DataStmt: self._data,
            ast.ForwardStmt: self._forward,
            ast.InitStmt: self._init,
            ast.BoundaryStmt: self._boundary,
            ast.InputStmt: self._input,
        }
        for statement in statements:
            handlers[type(statement)](statement)
        return self._finish()

    # ---- statements ----------------------------------------------------

    def _param(self, statement: ast.ParamStmt) -> None:
        for item in statement.items:
            name = item.name.name
            _, default = self._expr(item.value, constant=f"the default value of parameter '{name}'")
            value = expressions.number(default, self.param_values)
            if value is None:
                raise ModelError(
                    f"parameter '{name}' has no finite real value",
                    item.value.span,
                    hint="check for a division by zero, log of zero, or square root of a negative number",
                )
            symbol = symbols.symbol(name)
            self.c.params.append(Param(symbol, default, value))
            self.param_values[symbol] = value
            self.indices.values[symbol] = value
            self._declare(name, "param", item.name.span, symbol, symbol)
            self._item(item.name.span.line, f"param {name}")

    def _declaration(self, statement: ast.DeclStmt) -> None:
        role = statement.keyword  # coord, momentum or state
        placement.check(role, self.kind, Span(statement.span.line, statement.span.column, len(role)))
        for ident, bounds in zip(statement.names, statement.ranges or (None,) * len(statement.names)):
            if bounds is None:
                self._declare(ident.name, role, ident.span, symbols.symbol(ident.name))
            else:
                self._declare_array(ident, role, self._range(bounds))
            self.c.declared.setdefault(role, []).append(ident)
            self._item(ident.span.line, f"{role} {ident.name}")
            if role == "coord" and self.kind is Kind.HAMILTONIAN and not self._names_momenta():
                # H is written in the default momentum names p_q
                momentum = symbols.default_momentum_name(ident.name)
                if self.scope.get(momentum) is None:
                    if bounds is None:
                        self.scope.declare(momentum, "momentum", ident.span, symbols.symbol(momentum))
                    else:
                        self._declare_array(ast.Ident(momentum, ident.span), "momentum", self.arrays[ident.name].bounds)

    def _names_momenta(self) -> bool:
        return any(isinstance(s, ast.DeclStmt) and s.keyword == "momentum" for s in self.module.statements)

    def _let(self, statement: ast.LetStmt) -> None:
        if statement.binders:
            return self._indexed_let(statement)
        name = statement.name.name
        written, value = self._expr(statement.value)
        symbol = symbols.symbol(name)
        self.c.lets.append(Let(symbol, written, value))
        self.inlined[symbol] = value
        coordinates = [q for q in self.scope.symbols("coord") if isinstance(q, sympy.Symbol)]
        if value.has(sympy.Indexed):
            pass  # a let of array elements has no prime (it would need every element's velocity)
        elif not value.free_symbols & {symbols.velocity(q) for q in coordinates}:
            # name' is the total time derivative: the chain rule through the coordinates, plus ∂/∂t
            derivative = sympy.diff(value, symbols.time)
            for q in coordinates:
                derivative += sympy.diff(value, q) * symbols.velocity(q)
            self.inlined[symbols.symbol(symbols.velocity_name(name))] = derivative
        self._declare(name, "let", statement.name.span, symbol, value)
        self._item(statement.name.span.line, f"let {name}")

    def _expression_statement(self, statement: ast.ExprStmt) -> None:
        key = statement.keyword.name
        placement.check(key, self.kind, statement.keyword.span)
        constant = f"the {key}" if key in ("temperature", "friction", "horizon") else None
        self.written[key], self.c.expressions[key] = self._expr(statement.value, constant=constant)
        self.spans[key] = statement.keyword.span
        self._item(statement.keyword.span.line, key)

    def _force(self, statement: ast.ForceStmt) -> None:
        name = statement.coord.name
        placement.check("force", self.kind, Span(statement.span.line, statement.span.column, len("force")))
        entry = self.scope.get(name)
        if entry is None or entry.role != "coord":
            coords = self.scope.named("coord")
            what = f"'{name}' is a {ROLE_WORDS[entry.role]}" if entry else f"unknown coordinate '{name}'"
            raise ModelError(
                f"force on {what}; forces act on coordinates",
                statement.coord.span,
                hint=did_you_mean(name, coords) or f"the coordinates are: {', '.join(coords)}",
            )
        key = f"force {name}"
        self._once(
            key,
            statement.coord.span,
            f"duplicate force on '{name}' (first given on line {{line}})",
            "add the two forces in one 'force' statement",
        )
        self.written[key], value = self._expr(statement.value)
        self.c.forces.append((entry.symbol, value))
        self.spans[key] = statement.coord.span
        self._item(statement.coord.span.line, key)

    def _noise(self, statement: ast.NoiseStmt) -> None:
        placement.check("noise", self.kind, Span(statement.span.line, statement.span.column, len("noise")))
        name = statement.calculus.name
        calculi = [c.value for c in Calculus]
        if name not in calculi:
            raise ModelError(
                f"unknown calculus '{name}'",
                statement.calculus.span,
                hint=did_you_mean(name, calculi) or "write 'noise ito' or 'noise stratonovich'",
            )
        self._once("noise", statement.calculus.span, "the calculus is set twice", "keep one 'noise' statement")
        self.c.calculus = Calculus(name)
        self._item(statement.calculus.span.line, "noise")

    def _sde(self, statement: ast.SdeStmt) -> None:
        target = statement.target
        state_name = target.name[1:] if target.name.startswith("d") else None
        entry = self.scope.get(state_name) if state_name else None
        if entry is None or entry.role != "state":
            states = self.scope.named("state")
            if state_name is None:
                message = f"the left side of an SDE equation is 'd' and a state name, not '{target.name}'"
            elif state_name in self.scope.later and self.scope.get(state_name) is None:
                line = self.scope.later[state_name]
                message = f"SDE equation for '{state_name}', which is declared later (line {line})"
            else:
                message = f"SDE equation for undeclared state '{state_name}'"
            hint = did_you_mean(state_name or target.name, states) if states else None
            raise ModelError(
                message,
                target.span,
                hint=hint or f"declare it first with 'state {state_name or 'x'}'",
            )
        self._once(
            f"sde {state_name}",
            target.span,
            f"two SDE equations for '{state_name}' (the first on line {{line}})",
            "each state variable has exactly one SDE equation",
        )
        index, bound = self._sde_index(statement, entry)
        written, inlined = self._sde_terms(statement, bound)
        self.c.sde[state_name] = (statement, inlined, index)
        self.written.update(
            {
                f"{kind} {state_name}{' ' + noise if noise else ''}": value
                for (kind, noise), value in written.items()
                if value != 0 or kind == "diffusion"  # a zero noise term still declares its noise (and its order)
            }
        )
        self.spans[f"sde {state_name}"] = target.span
        self._item(target.span.line, f"sde {state_name}")

    def _sde_terms(self, statement: ast.SdeStmt, bound=None):
        """(kind, noise) -> coefficient, as written and with lets inlined:
        ('drift', None) and ('diffusion', 'W1') for dt and dW1 terms."""
        written: dict[tuple[str, str | None], sympy.Expr] = {}
        inlined: dict[tuple[str, str | None], sympy.Expr] = {}
        one = sympy.Integer(1)
        for term in statement.terms:
            if term.coefficient is None:
                as_written, value = one, one
            else:
                as_written, value = self._expr(term.coefficient, bound=bound)
            differential = term.differential.name
            key = ("drift", None) if differential == "dt" else ("diffusion", differential[1:])
            written[key] = written.get(key, sympy.Integer(0)) + term.sign * as_written
            inlined[key] = inlined.get(key, sympy.Integer(0)) + term.sign * value
        return written, inlined

    def _init(self, statement: ast.InitStmt) -> None:
        for item in statement.items:
            name = item.name.name
            target = self._init_target(item)
            element, bound = self._init_index(item)
            label = (f"{name}'" if item.prime else name) + (f"[{element}]" if element is not None else "")
            key = f"init {label}"
            self._once(
                key,
                item.name.span,
                f"initial value of {label} given twice (first on line {{line}})",
                "keep one of them",
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
                args = tuple(
                    self._expr(a, constant=f"an argument of {value.function}()", bound=bound)[1] for a in value.args
                )
                initial = Initial(target, value.function, args, element)
            else:
                initial = Initial(
                    target, "value", (self._expr(value, constant="an initial value", bound=bound)[1],), element
                )
            self.c.init.append(initial)
            self.spans[key] = item.name.span
            self._item(item.name.span.line, key)

    def _init_target(self, item: ast.InitItem) -> sympy.Symbol:
        name = item.name.name
        entry = self.scope.get(name)
        if entry is None:
            raise self.scope.unknown(name, item.name.span, self.scope.named("coord", "momentum", "state"))
        if item.prime:
            if entry.role != "coord":
                raise self.scope.bad_velocity(name, entry, item.name.span)
            if self.kind is Kind.HAMILTONIAN:
                raise ModelError(
                    "a hamiltonian model starts from coordinates and momenta, not velocities",
                    item.name.span,
                    hint=f"set the momentum of '{name}' instead",
                )
            if entry.array is not None:
                return sympy.IndexedBase(symbols.velocity_name(name))
            return symbols.velocity(entry.symbol)
        if entry.role == "momentum" and self.kind is Kind.LAGRANGIAN:
            raise ModelError(
                "a lagrangian model starts from coordinates and velocities, not momenta",
                item.name.span,
                hint="set the velocity instead, written with a prime: q' = …",
            )
        if entry.role not in ("coord", "momentum", "state"):
            raise ModelError(
                f"'{name}' is a {ROLE_WORDS[entry.role]}; only state variables have initial values",
                item.name.span,
                hint="parameters take their values in 'param' (or with --set at run time)"
                if entry.role == "param"
                else None,
            )
        return entry.symbol

    # ---- the end -------------------------------------------------------

    def _finish(self) -> Model:
        decl = self.module.model
        kind = self.kind
        model: dict = {"name": decl.name.name, "doc": decl.doc, "kind": kind}
        model["params"] = tuple(self.c.params)
        model["lets"] = tuple(self.c.lets)
        if kind.is_mechanical:
            coords = self.c.declared.get("coord", [])
            if not coords:
                raise ModelError(
                    f"{a_model(kind)} needs generalized coordinates",
                    decl.name.span,
                    hint="declare them with 'coord q1, q2'",
                )
            coordinates = tuple(self.scope.get(c.name).symbol for c in coords)
            momentum_idents = self.c.declared.get("momentum", [])
            if momentum_idents and len(momentum_idents) != len(coords):
                raise ModelError(
                    f"{len(momentum_idents)} momentum names for {len(coords)} coordinates",
                    momentum_idents[0].span,
                    hint="name one momentum per coordinate, in the order of the coordinates",
                )
            model["coordinates"] = coordinates
            model["velocities"] = tuple(
                sympy.IndexedBase(symbols.velocity_name(q.name))
                if isinstance(q, sympy.IndexedBase)
                else symbols.velocity(q)
                for q in coordinates
            )
            model["momenta"] = tuple(self.scope.get(m.name).symbol for m in momentum_idents) or tuple(
                sympy.IndexedBase(symbols.default_momentum_name(q.name))
                if isinstance(q, sympy.IndexedBase)
                else symbols.symbol(symbols.default_momentum_name(q.name))
                for q in coordinates
            )
            model["momenta_declared"] = bool(momentum_idents)
            model["forces"] = tuple(self.c.forces)
        else:
            states = self.c.declared.get("state", [])
            if not states:
                raise ModelError(
                    f"{a_model(kind)} needs state variables",
                    decl.name.span,
                    hint="declare them with 'state x, y'",
                )
            model["state"] = tuple(self.scope.get(s.name).symbol for s in states)
        for key in ("lagrangian", "hamiltonian", "energy", "dissipation", "temperature", "friction"):
            model[key] = self.c.expressions.get(key)
        given = self.c.expressions
        if kind is Kind.LAGRANGIAN and given.get("temperature") is not None and given.get("dissipation") is None:
            raise ModelError(
                "a temperature needs a dissipation function: its friction sets the noise",
                self.spans["temperature"],
                hint="add 'dissipation = …', e.g. dissipation = gamma*q'^2/2 (fluctuation–dissipation)",
            )
        if kind is Kind.SDE:
            self._finish_sde(model)
            self._finish_diffusion(model)
        self._check_derived_names(model)
        init_order = {s: i for i, s in enumerate(_variables(kind, model))}
        model["init"] = tuple(sorted(self.c.init, key=lambda i: init_order[i.target]))
        model["arrays"] = dict(self.arrays)
        model["sizes"] = tuple(sorted(self.indices.sizes, key=str))
        model["inputs"] = tuple(self.inputs)
        model["size_requirements"] = tuple(self.indices.requirements)
        model["data_sizes"] = tuple(sorted(self.data_sizes, key=str))
        model["written"] = self.written
        model["order"] = self.order
        model["comments"] = self._attach_comments()
        model["spans"] = self.spans
        return Model(**model, filename=self.filename, source=self.source)

    def _finish_sde(self, model) -> None:
        states = self.c.declared["state"]
        if self.c.forward is not None:
            if self.c.sde:
                statement, _, _ = next(iter(self.c.sde.values()))
                raise ModelError(
                    "SDE equations cannot be combined with a 'forward' preset",
                    statement.target.span,
                    hint="the preset writes the equation of every state variable; keep one or the other",
                )
            name, settings = self.c.forward
            preset = PRESETS[name]
            values = forward_settings(preset, settings)
            model["forward"] = self.c.forward
            model["noises"] = tuple(f"W{x.name}" for x in states)
            rate, noise = preset.rate(symbols.time, values), preset.noise(symbols.time, values)
            model["drift"] = tuple(rate * symbols.symbol(x.name) for x in states)
            model["diffusion"] = tuple(
                tuple(noise if i == j else sympy.Integer(0) for j in range(len(states))) for i in range(len(states))
            )
            model["calculus"] = Calculus.ITO
            return
        for ident in states:
            if ident.name not in self.c.sde:
                raise ModelError(
                    f"state '{ident.name}' has no SDE equation",
                    ident.span,
                    hint=f"add 'd{ident.name} = … dt + … dW' (a constant state: 'd{ident.name} = 0 dt')",
                )
        noises: list[str] = []
        for ident in states:  # noises in order of first appearance
            statement, _, _ = self.c.sde[ident.name]
            for term in statement.terms:
                noise = term.differential.name[1:]
                if term.differential.name != "dt" and noise not in noises:
                    noises.append(noise)
        noises.sort(
            key=lambda n: min(
                (t.span.line, t.span.column)
                for s, _, _ in self.c.sde.values()
                for t in s.terms
                if t.differential.name[1:] == n
            )
        )
        zero = sympy.Integer(0)
        model["noises"] = tuple(noises)
        model["drift"] = tuple(self.c.sde[s.name][1].get(("drift", None), zero) for s in states)
        model["diffusion"] = tuple(
            tuple(self.c.sde[s.name][1].get(("diffusion", n), zero) for n in noises) for s in states
        )
        model["calculus"] = self.c.calculus or Calculus.ITO
        if self.arrays:
            model["sde_indices"] = tuple(self.c.sde[s.name][2] for s in states)
            self._check_array_noises(states)

    def _check_derived_names(self, model) -> None:
        """Derived names (q_dot, p_q) must not collide with declared ones."""
        derived: dict[str, str] = {}
        for q in model.get("coordinates", ()):
            derived[symbols.velocity_name(q.name)] = f"the velocity of '{q.name}'"
            derived[symbols.acceleration_name(q.name)] = f"the acceleration of '{q.name}'"
            if not model.get("momenta_declared"):
                derived[symbols.default_momentum_name(q.name)] = f"the momentum of '{q.name}'"
        for name, entry in self.scope.names.items():
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
        self.scope.declare(name, role, span, symbol, value)
        self.spans[f"{role} {name}"] = span

    def _item(self, line: int, key: str) -> None:
        self.item_lines.append((line, key))

    def _once(self, key: str, span: Span, message: str, hint: str) -> None:
        """The 'given twice' check of every statement: `key` is given once;
        the message may name the {line} of the first (names hold no braces)."""
        first = self.given.get(key)
        if first is not None:
            raise ModelError(message.format(line=first.line), span, hint=hint)
        self.given[key] = span

    def _expr(
        self, node: ast.Expr, *, constant: str | None = None, bound: expressions.Indices | None = None
    ) -> tuple[sympy.Expr, sympy.Expr]:
        """`node` as written (lets as symbols) and with the lets inlined."""
        bound = bound if bound is not None else (self.bound or self.indices)
        return expressions.expression(
            self.scope, self.kind, self.inlined, node, constant, self.budget, bound, self.order
        )


# ---- small helpers ---------------------------------------------------------


def _variables(kind: Kind, model: dict) -> tuple:
    if kind is Kind.LAGRANGIAN:
        return model["coordinates"] + model["velocities"]
    if kind is Kind.HAMILTONIAN:
        return model["coordinates"] + model["momenta"]
    return model["state"]


def resolve(module: ast.Module, filename: str = "<string>", source: str = "") -> Model:
    """Give the AST its meaning: a Model, or a ModelError."""
    return _Resolver(module, filename, source).resolve()
