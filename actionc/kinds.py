"""The kinds of model and the two stochastic calculi: enums that the Model,
the System and the kernels' META share (StrEnum: each compares equal to,
prints as and is stored in JSON as its value)."""

from __future__ import annotations

import enum


class Kind(enum.StrEnum):
    """What a model's dynamics is, decided by what it declares."""

    LAGRANGIAN = "lagrangian"
    HAMILTONIAN = "hamiltonian"
    ENERGY = "energy"
    SDE = "sde"

    @property
    def is_mechanical(self) -> bool:
        return self in (Kind.LAGRANGIAN, Kind.HAMILTONIAN)


class Calculus(enum.StrEnum):
    ITO = "ito"
    STRATONOVICH = "stratonovich"
