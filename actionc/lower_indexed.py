"""Indexed Model → System of blocks: each array's element equation
(actionc.derive.elements) becomes a Block of the state."""

from __future__ import annotations

import sympy

from actionc import symbols
from actionc.derive import elements, thermo
from actionc.model import Kind, Model
from actionc.system import Block, Gibbs, Initial, SeparableSplit, System


def lower(model: Model, common: dict) -> System:
    found = elements.element_equations(model)
    index = found.index
    blocks = tuple(
        Block(
            symbol=e.variable,
            array=e.array,
            index=index if e.array is not None else None,
            drift=e.rate,
            role=e.role,
            noise=e.noise if e.noise is not None else found.noise,
            gradient=e.gradient,
            langevin=e.langevin,
        )
        for e in found.equations
    )
    gibbs = None
    if model.kind is Kind.ENERGY:
        T, gamma = thermo.temperature(model), thermo.friction(model)
        # the gradient lives on the blocks (Block.gradient, per element); no Hessian is formed
        gibbs = Gibbs(energy=model.energy, temperature=T, friction=gamma, gradient=(), hessian=())
    coordinates = tuple(k for k, b in enumerate(blocks) if b.role == "position")
    conjugates = tuple(k for k, b in enumerate(blocks) if b.role == "conjugate")
    return System(
        **dict(common, init=_initial_values(model, blocks)),
        separable=_separable(blocks, coordinates, conjugates),
        state=(),
        drift=(),
        ito_drift=(),
        blocks=blocks,
        sizes=model.sizes,
        size_requirements=model.size_requirements,
        inputs=model.inputs,
        arrays=tuple(model.arrays.values()),
        invariants=found.invariants,
        gibbs=gibbs,
        coordinates=coordinates,
        conjugates=conjugates,
    )


def _separable(blocks, positions, conjugates) -> SeparableSplit | None:
    """Positions move with their conjugates only, conjugates with the
    positions only, nothing with time or noise: leapfrog's split."""
    if not positions or any(b.noise is not None for b in blocks):
        return None
    symbols_of = {k: {blocks[k].symbol} for k in range(len(blocks))}
    allowed = {
        k: set().union(*(symbols_of[j] for j in (conjugates if k in positions else positions))) for k in symbols_of
    }
    everything = set().union(*symbols_of.values())
    for k, block in enumerate(blocks):
        reads = {r.base for r in block.drift.atoms(sympy.Indexed)} | block.drift.free_symbols
        if symbols.time in reads or (reads & everything) - allowed[k]:
            return None
    return SeparableSplit(positions, conjugates, None, None)


def _initial_values(model: Model, blocks) -> tuple[Initial, ...]:
    position = {b.symbol: k for k, b in enumerate(blocks)}
    initial = []
    for item in model.init:
        block = blocks[position[item.target]]
        args, element = item.args, item.index
        if isinstance(element, sympy.Symbol) and block.index is not None:  # every element: in the block's index
            args = tuple(a.xreplace({element: block.index}) for a in args)
            element = block.index
        initial.append(Initial(position[item.target], item.distribution, args, element))
    return tuple(initial)
