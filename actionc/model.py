"""Model: what the person wrote, resolved, typed and symbolic.

A Model is built only by the resolver (actionc/lang/resolve.py) and never
changed afterwards. Its expressions are SymPy objects with every `let`
inlined; `written` keeps the same expressions as the person wrote them (lets
as symbols), which is what `actionc fmt` prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import sympy

from actionc.arrays import Array, Input
from actionc.errors import ModelError, Span
from actionc.kinds import Calculus, Kind

__all__ = ["Array", "Calculus", "Input", "Kind", "Model"]


@dataclass(frozen=True)
class Param:
    """A named constant: `param g = 9.81`. `default` is written in earlier params."""

    symbol: sympy.Symbol
    default: sympy.Expr
    value: float

    @property
    def name(self) -> str:
        return self.symbol.name


@dataclass(frozen=True)
class Let:
    """`let x1 = l1*sin(th1)`: `written` uses earlier lets, `value` is inlined.
    An array of lets (`let d[i in 0..N] = …`) is its element at the indices
    `over` ((index, lo, hi) each), and `symbol` is its IndexedBase."""

    symbol: sympy.Symbol
    written: sympy.Expr
    value: sympy.Expr
    over: tuple[tuple[sympy.Symbol, sympy.Expr, sympy.Expr], ...] = ()

    @property
    def name(self) -> str:
        return self.symbol.name


@dataclass(frozen=True)
class Initial:
    """The initial value of one state variable: a constant or a distribution.

    `distribution` is "value" (one argument) or a name from
    actionc.functions.DISTRIBUTIONS; arguments are constant expressions of
    the parameters.
    """

    target: sympy.Symbol
    distribution: str
    args: tuple[sympy.Expr, ...]
    # arrays: the element index the args are written in (every element), or
    # one element's index (a constant); None for a scalar
    index: sympy.Expr | None = None


@dataclass(frozen=True)
class Component:
    """One Gaussian of a data distribution, `data mean = […], std = …`: its
    weight (not normalized), mean (n) and covariance (n × n), constant
    expressions of the parameters; `written` keeps the items as written."""

    weight: sympy.Expr
    mean: tuple[sympy.Expr, ...]
    cov: tuple[tuple[sympy.Expr, ...], ...]
    written: tuple[tuple[str, object], ...] = field(default=(), compare=False)
    # `data k in lo..hi: …`: (k, lo, hi) as written, shared by the components it made
    over: tuple | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Model:
    name: str
    doc: str | None
    kind: Kind
    params: tuple[Param, ...] = ()
    # mechanics
    coordinates: tuple[sympy.Symbol, ...] = ()
    velocities: tuple[sympy.Symbol, ...] = ()
    momenta: tuple[sympy.Symbol, ...] = ()
    momenta_declared: bool = False
    # energy and SDE models
    state: tuple[sympy.Symbol, ...] = ()
    lets: tuple[Let, ...] = ()
    # the dynamics, with lets inlined
    lagrangian: sympy.Expr | None = None
    hamiltonian: sympy.Expr | None = None
    energy: sympy.Expr | None = None
    dissipation: sympy.Expr | None = None
    forces: tuple[tuple[sympy.Symbol, sympy.Expr], ...] = ()
    temperature: sympy.Expr | None = None
    friction: sympy.Expr | None = None
    # SDE: dx_i = drift_i dt + sum_k diffusion[i][k] dW_k
    noises: tuple[str, ...] = ()
    drift: tuple[sympy.Expr, ...] = ()
    diffusion: tuple[tuple[sympy.Expr, ...], ...] = ()
    # SDE of arrays: the index each state's equation is written in (dx[i] = …), None for a scalar's
    sde_indices: tuple[sympy.Symbol | None, ...] = ()
    calculus: Calculus = Calculus.ITO
    # diffusion models: a data distribution (a Gaussian mixture), a preset
    # forward SDE (name, its settings), or a density p_t given directly,
    # and the time horizon T of sampling
    data: tuple[Component, ...] = ()
    forward: tuple[str, tuple[tuple[str, sympy.Expr], ...]] | None = None
    density: sympy.Expr | None = None
    horizon: sympy.Expr | None = None
    init: tuple[Initial, ...] = ()
    # indexed models: arrays by name (coordinates, state, momenta, velocities
    # and inputs appear in the tuples above as IndexedBase), the parameters
    # that are sizes (integers ≥ 1), and the data arrays read at run time
    arrays: Mapping[str, Array] = field(default_factory=dict)
    sizes: tuple[sympy.Symbol, ...] = ()
    inputs: tuple[Input, ...] = ()
    data_sizes: tuple[sympy.Symbol, ...] = ()  # sizes an input declares (set by its data, not by 'param')
    size_requirements: tuple[sympy.Expr, ...] = ()  # each ≥ 0 at run time (x[7] of x[1..N]: N - 7)
    # for the printer: expressions as written (key -> expr) and comments
    # (key -> the comment lines before it, and the one after it on its line)
    written: Mapping[str, sympy.Expr] = field(default_factory=dict)
    comments: Mapping[str, tuple[tuple[str, ...], str | None]] = field(default_factory=dict)
    order: Mapping[sympy.Expr, tuple] = field(default_factory=dict, compare=False, repr=False)  # sums' terms as written
    # where things were declared, for errors found later (derivations)
    spans: Mapping[str, Span] = field(default_factory=dict, compare=False, repr=False)
    filename: str = field(default="<string>", compare=False, repr=False)
    source: str = field(default="", compare=False, repr=False)

    @property
    def parameter_defaults(self) -> dict[str, float]:
        return {p.name: p.value for p in self.params}

    @property
    def variables(self) -> tuple[sympy.Symbol, ...]:
        """The first-order state: (coordinates, velocities), (coordinates,
        momenta) or the declared state."""
        if self.kind is Kind.LAGRANGIAN:
            return self.coordinates + self.velocities
        if self.kind is Kind.HAMILTONIAN:
            return self.coordinates + self.momenta
        return self.state

    @property
    def is_indexed(self) -> bool:
        return bool(self.arrays)

    @property
    def force_map(self) -> dict[sympy.Symbol, sympy.Expr]:
        return dict(self.forces)

    @property
    def has_density(self) -> bool:
        """p_t is known: from data (a Gaussian mixture pushed by a linear forward SDE) or given."""
        return bool(self.data) or self.density is not None

    @property
    def runs_backwards(self) -> bool:
        """It can be sampled backwards: an SDE with noise and a density p_t."""
        return self.kind is Kind.SDE and self.has_density and bool(self.noises)

    def _repr_latex_(self) -> str:
        """The model's dynamics as LaTeX, for notebooks."""
        names = {v: rf"\dot{{{sympy.latex(q)}}}" for q, v in zip(self.coordinates, self.velocities)}

        def tex(expr) -> str:
            return sympy.latex(expr, symbol_names=names)

        lines = []
        for key, symbol in (("lagrangian", "L"), ("hamiltonian", "H"), ("energy", "E"), ("dissipation", "D")):
            value = getattr(self, key)
            if value is not None:
                lines.append(f"{symbol} &= {tex(value)}")
        for x, drift, row in zip(self.state, self.drift, self.diffusion or [()] * len(self.drift)):
            noise = " + ".join(f"{_wrapped(tex, g)}\\, {_noise_tex(w)}" for g, w in zip(row, self.noises) if g != 0)
            lines.append(f"d{sympy.latex(x)} &= {_wrapped(tex, drift)}\\, dt" + (f" + {noise}" if noise else ""))
        if self.temperature is not None:
            lines.append(f"T &= {tex(self.temperature)}")
        body = " \\\\ ".join(lines)
        title = self.name.replace("_", "\\_")
        return f"$\\textbf{{{title}}}\\ ({self.kind.value})\\quad \\begin{{aligned}} {body} \\end{{aligned}}$"

    def span(self, key: str) -> Span | None:
        return self.spans.get(key)

    def error(self, message: str, at: str, hint: str | None = None) -> ModelError:
        """A ModelError pointing at the statement `at` (a key of `spans`,
        like "lagrangian"), for mistakes found after parsing."""
        return ModelError(message, self.span(at), hint=hint, filename=self.filename, source=self.source)


def _wrapped(tex, expr) -> str:
    return f"\\left({tex(expr)}\\right)" if isinstance(expr, sympy.Add) else tex(expr)


def _noise_tex(name: str) -> str:
    return "dW" if name == "W" else f"dW_{{{name[1:] if name.startswith('W') else name}}}"
