"""The quadrature rules of discrete mechanics, as exact fractions: the
symbolic discrete Lagrangians (derive.variational) and the numeric
stationary paths (run.stationary) read the same table."""

from __future__ import annotations

from fractions import Fraction

HALF = Fraction(1, 2)

# rule → quadrature nodes (w, α, β, τ): weight, share of q_k, share of q_{k+1}, time offset / h
RULES: dict[str, tuple[tuple[Fraction, ...], ...]] = {
    "midpoint": ((Fraction(1), HALF, HALF, HALF),),
    "trapezoid": ((HALF, Fraction(1), Fraction(0), Fraction(0)), (HALF, Fraction(0), Fraction(1), Fraction(1))),
}


def check_rule(rule: str) -> None:
    if rule not in RULES:
        raise ValueError(f"unknown quadrature rule '{rule}'; the rules are: {', '.join(RULES)}")
