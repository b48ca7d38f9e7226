"""actionc: a compiler for variational and stochastic dynamics.

Write the physics (a Lagrangian, a Hamiltonian, an energy, an SDE) in an
.act file; actionc parses it into a typed, symbolic Model.

    >>> import actionc
    >>> model = actionc.parse('''
    ... model pendulum
    ... param g = 9.81, l = 1
    ... coord th
    ... lagrangian = l^2*th'^2/2 + g*l*cos(th)
    ... ''')
    >>> model.kind.value, [q.name for q in model.coordinates]
    ('lagrangian', ['th'])
"""

from actionc.errors import ModelError
from actionc.lang import format_model, load, parse
from actionc.model import Kind, Model

__version__ = "0.1.0"

__all__ = ["ModelError", "Model", "Kind", "parse", "load", "format_model", "__version__"]
