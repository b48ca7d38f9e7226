"""actionc: a compiler for variational and stochastic dynamics.

Write the physics (a Lagrangian, a Hamiltonian, an energy, an SDE) in an
.act file; actionc parses it into a typed, symbolic Model, derives what
follows from it, and compiles it into fast ensemble integrators.

    >>> import actionc
    >>> model = actionc.parse('''
    ... model pendulum
    ... param g = 9.81, l = 1
    ... coord th
    ... lagrangian = l^2*th'^2/2 + g*l*cos(th)
    ... ''')
    >>> model.kind.value, [q.name for q in model.coordinates]
    ('lagrangian', ['th'])

The names below are imported on first use, so that running a cached kernel
never imports SymPy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from actionc.version import __version__

_EXPORTS = {
    "ModelError": "actionc.errors",
    "Model": "actionc.model",
    "Kind": "actionc.model",
    "parse": "actionc.lang",
    "load": "actionc.lang",
    "format_model": "actionc.lang",
    "compile": "actionc.pipeline",
    "sample": "actionc.pipeline",
    "log_likelihood": "actionc.pipeline",
    "density": "actionc.pipeline",
    "Compiled": "actionc.run.compiled",
    "Result": "actionc.run.result",
    "RunError": "actionc.errors",
}

__all__ = [
    "ModelError",
    "Model",
    "Kind",
    "parse",
    "load",
    "format_model",
    "compile",
    "sample",
    "log_likelihood",
    "density",
    "Compiled",
    "Result",
    "RunError",
    "__version__",
]

if TYPE_CHECKING:  # pragma: no cover
    from actionc.errors import ModelError, RunError
    from actionc.lang import format_model, load, parse
    from actionc.model import Kind, Model
    from actionc.pipeline import compile, density, log_likelihood, sample
    from actionc.run.compiled import Compiled
    from actionc.run.result import Result


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'actionc' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(__all__)
