"""Lark tree → AST, in one Transformer. Shapes only; meaning is the resolver's."""

from __future__ import annotations

import dataclasses

from lark import Token, Transformer_NonRecursive, v_args

from actionc.errors import Span
from actionc.lang import syntax as ast
from actionc.lang.grammar import parse_tree


def parse_module(text: str) -> ast.Module:
    """Parse .act text into its AST (ModelError on bad syntax)."""
    tree, comments = parse_tree(text)
    model, statements = _Build().transform(tree)
    return ast.Module(model, tuple(statements), comments)


def _span(meta) -> Span:
    length = meta.end_column - meta.column if meta.end_line == meta.line else 1
    return Span(meta.line, meta.column, max(1, length))


def _token_span(token: Token) -> Span:
    return Span(token.line, token.column, max(1, len(token.value)))


def _ident(token: Token) -> ast.Ident:
    return ast.Ident(str(token), _token_span(token))


@v_args(meta=True)
class _Build(Transformer_NonRecursive):
    def start(self, meta, children):
        return children[0], children[1:]

    def model_decl(self, meta, children):
        name, doc = children
        return ast.ModelDecl(_ident(name), doc[1:-1] if doc is not None else None, _span(meta))

    def param_item(self, meta, children):
        return ast.ParamItem(_ident(children[0]), children[1])

    def param_stmt(self, meta, children):
        return ast.ParamStmt(tuple(children), _span(meta))

    def name_list(self, meta, children):
        return children

    def declared(self, meta, children):
        name, lo, dots, hi = children
        bounds = None if lo is None else ast.Range(lo, hi, _span(meta))
        return _ident(name), bounds

    def _declaration(self, keyword: str, meta, children):
        names, ranges = zip(*children[0])
        return ast.DeclStmt(keyword, names, _span(meta), ranges)

    def coord_stmt(self, meta, children):
        return self._declaration("coord", meta, children)

    def momentum_stmt(self, meta, children):
        return self._declaration("momentum", meta, children)

    def state_stmt(self, meta, children):
        return self._declaration("state", meta, children)

    def boundary_stmt(self, meta, children):
        return ast.BoundaryStmt(tuple(children), _span(meta))

    def boundary_value(self, meta, children):
        name, index, value = children
        return ast.BoundaryItem(_ident(name), index, value, None)

    def boundary_rule(self, meta, children):
        name, rule = children
        return ast.BoundaryItem(_ident(name), None, None, _ident(rule))

    def input_stmt(self, meta, children):
        *items, path = children
        return ast.InputStmt(tuple(items), None if path is None else str(path)[1:-1], _span(meta))

    def input_item(self, meta, children):
        name, *sizes = children
        return ast.InputItem(_ident(name), tuple(_ident(size) for size in sizes))

    def let_stmt(self, meta, children):
        name, binders, value = children
        return ast.LetStmt(_ident(name), value, _span(meta), tuple(binders or ()))

    def expr_key(self, meta, children):
        return _ident(children[0])

    def expr_stmt(self, meta, children):
        return ast.ExprStmt(children[0], children[1], _span(meta))

    def force_stmt(self, meta, children):
        return ast.ForceStmt(_ident(children[0]), children[1], _span(meta))

    def noise_stmt(self, meta, children):
        return ast.NoiseStmt(_ident(children[0]), _span(meta))

    def init_item(self, meta, children):
        name, prime, index, value = children
        return ast.InitItem(_ident(name), prime is not None, value, index)

    def init_stmt(self, meta, children):
        return ast.InitStmt(tuple(children), _span(meta))

    def sde_stmt(self, meta, children):
        target, index, terms = children
        return ast.SdeStmt(_ident(target), tuple(terms), _span(meta), _ident(index) if index else None)

    def sde_terms(self, meta, children):
        if len(children) == 1:
            return [children[0]]
        terms, sign, term = children
        if sign.type == "MINUS":
            term = dataclasses.replace(term, sign=-term.sign)
        return [*terms, term]

    def sde_term(self, meta, children):
        coefficient, differential, index = (*children, None) if len(children) == 2 else children
        return ast.SdeTerm(1, coefficient, _ident(differential), _span(meta), _ident(index) if index else None)

    def data_stmt(self, meta, children):
        over, *items = children
        return ast.DataStmt(tuple(items), _span(meta), over)

    def data_over(self, meta, children):
        index, lo, _, hi = children
        return ast.Binder(_ident(index), lo, hi)

    def data_item(self, meta, children):
        return ast.DataItem(_ident(children[0]), children[1])

    def array(self, meta, children):
        return ast.Array(tuple(children), _span(meta))

    def forward_stmt(self, meta, children):
        return ast.ForwardStmt(_ident(children[0]), tuple(children[1:]), _span(meta))

    # ---- expressions ----

    def number(self, meta, children):
        return ast.Number(str(children[0]), _token_span(children[0]))

    def name(self, meta, children):
        return ast.Name(str(children[0]), _token_span(children[0]))

    def velocity(self, meta, children):
        return ast.Velocity(str(children[0]), _span(meta))

    def call(self, meta, children):
        function, arguments = children
        return ast.Call(str(function), tuple(arguments or ()), _span(meta), _token_span(function))

    def arguments(self, meta, children):
        return children

    def element(self, meta, children):
        name, indices = children
        return ast.Element(str(name), tuple(indices), False, _span(meta), _token_span(name))

    def velocity_element(self, meta, children):
        name, _, indices = children
        return ast.Element(str(name), tuple(indices), True, _span(meta), _token_span(name))

    def sum(self, meta, children):
        binders, body = children
        return ast.Sum(tuple(binders), body, _span(meta))

    def binders(self, meta, children):
        return children

    def binder(self, meta, children):
        if len(children) == 4:
            index, lo, _, hi = children
            return ast.Binder(_ident(index), lo, hi)
        index, partner, lo, _, hi = children
        return ast.Binder(_ident(index), lo, hi, _ident(partner))

    def _binary(self, meta, children):
        left, op, right = children
        return ast.Binary("^" if op.type == "POW" else str(op), left, right, _span(meta))

    add = sub = mul = div = pow = _binary

    def neg(self, meta, children):
        return ast.Unary("-", children[1], _span(meta))

    def pos(self, meta, children):
        return ast.Unary("+", children[1], _span(meta))
