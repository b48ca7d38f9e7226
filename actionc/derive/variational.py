"""Discrete mechanics (Marsden & West, Discrete mechanics and variational
integrators, Acta Numerica 2001): the action of a path through nodes
q_0, …, q_N is a sum of discrete Lagrangians

    S_d = Σ_k L_d(q_k, q_{k+1}, h),   L_d = h Σ_j w_j L(α_j q_k + β_j q_{k+1}, (q_{k+1} − q_k)/h, t_k + τ_j h),

a quadrature rule of ∫ L dt over one step. Its stationary points solve the
discrete Euler–Lagrange equations; written with the discrete momenta

    p_k = −D1 L_d(q_k, q_{k+1}) − f⁻_k,    p_{k+1} = D2 L_d(q_k, q_{k+1}) + f⁺_k,

they are a symplectic map (q_k, p_k) → (q_{k+1}, p_{k+1}) that keeps the
Noether momentum of every symmetry of L_d exactly. Non-conservative
generalized forces Q enter by the discrete Lagrange–d'Alembert principle,
f^∓_k = h Σ_j w_j (α_j | β_j) Q(node j).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from actionc import quadrature
from actionc.quadrature import check_rule

# rule → quadrature nodes (w, α, β, τ) as SymPy numbers (actionc.quadrature)
RULES: dict[str, tuple[tuple[sympy.Rational, ...], ...]] = {
    rule: tuple(tuple(sympy.Rational(c.numerator, c.denominator) for c in node) for node in nodes)
    for rule, nodes in quadrature.RULES.items()
}


@dataclass(frozen=True)
class DiscreteMechanics:
    """One step of a discrete Lagrangian system, in the symbols q_k, q_{k+1}
    (here `start` and `end`), the step h and the time t of q_k."""

    rule: str
    start: tuple[sympy.Symbol, ...]
    end: tuple[sympy.Symbol, ...]
    step: sympy.Symbol
    lagrangian: sympy.Expr  # L_d(q_k, q_{k+1}, h)
    start_momentum: tuple[sympy.Expr, ...]  # p_k = −D1 L_d − f⁻
    end_momentum: tuple[sympy.Expr, ...]  # p_{k+1} = D2 L_d + f⁺


def discretize(
    lagrangian: sympy.Expr,
    coordinates,
    velocities,
    time: sympy.Symbol,
    rule: str = "midpoint",
    forces=None,
) -> DiscreteMechanics:
    """The discrete Lagrangian of L(q, q', t) by `rule`, and the discrete
    momenta at both ends of a step (with forces Q(q, q', t), if any)."""
    check_rule(rule)
    start = tuple(sympy.Symbol(f"{q.name}_k", real=True) for q in coordinates)
    end = tuple(sympy.Symbol(f"{q.name}_k1", real=True) for q in coordinates)
    h = sympy.Symbol("h", positive=True)
    velocity = [(b - a) / h for a, b in zip(start, end)]
    value = sympy.Integer(0)
    push_start = [sympy.Integer(0)] * len(start)
    push_end = [sympy.Integer(0)] * len(start)
    for w, alpha, beta, tau in RULES[rule]:
        at = {q: alpha * a + beta * b for q, a, b in zip(coordinates, start, end)}
        at.update(zip(velocities, velocity))
        at[time] = time + tau * h
        value += h * w * lagrangian.xreplace(at)
        for i, Q in enumerate(forces or ()):
            force = h * w * Q.xreplace(at)
            push_start[i] += alpha * force
            push_end[i] += beta * force
    start_momentum = tuple(-sympy.diff(value, a) - f for a, f in zip(start, push_start))
    end_momentum = tuple(sympy.diff(value, b) + f for b, f in zip(end, push_end))
    return DiscreteMechanics(rule, start, end, h, value, start_momentum, end_momentum)
