"""How derived quantities are named, everywhere: in SymPy symbols, in
`actionc derive` output, in saved arrays and on the command line.

The velocity of coordinate `q` is `q_dot` (written `q'` in .act files), its
acceleration `q_ddot`, and its conjugate momentum `p_q` unless the model
names its momenta.
"""

from __future__ import annotations

import sympy

TIME = "t"


def symbol(name: str) -> sympy.Symbol:
    """The SymPy symbol for a model name. All model quantities are real."""
    return sympy.Symbol(name, real=True)


def velocity_name(name: str) -> str:
    return f"{name}_dot"


def acceleration_name(name: str) -> str:
    return f"{name}_ddot"


def default_momentum_name(name: str) -> str:
    return f"p_{name}"


def velocity(coordinate: sympy.Symbol) -> sympy.Symbol:
    return symbol(velocity_name(coordinate.name))


def acceleration(coordinate: sympy.Symbol) -> sympy.Symbol:
    return symbol(acceleration_name(coordinate.name))


time = symbol(TIME)

# the likelihood flow's last state variable: ∫ ∇·v ds along the flow
logp_change = symbol("logp_change")
