"""Initial values given at run time: a number, one number per particle, or
a distribution written as in the model (`normal(2.94, 0.05)`,
`uniform(0, 1)`), drawn here per particle.

Draws are a pure function of (seed, state variable, particle): particle i
gets the same value in a run of any size, with any threads or chunks.
The text is read with a regular expression and float(), never evaluated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from actionc.errors import RunError

_NUMBER = r"\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*"
_CALL = re.compile(rf"\s*(normal|uniform)\s*\({_NUMBER},{_NUMBER}\)\s*")


@dataclass(frozen=True)
class Draw:
    """normal(mean, std) or uniform(low, high), as in the model's init."""

    distribution: str
    a: float
    b: float

    def __str__(self) -> str:
        return f"{self.distribution}({self.a:g}, {self.b:g})"


def parse_draw(text: str) -> Draw:
    """`normal(a, b)` or `uniform(a, b)` with number arguments, or a RunError saying what is accepted."""
    match = _CALL.fullmatch(text)
    if match is None:
        raise RunError(
            f"cannot read the initial value {text!r}",
            hint="give a number, normal(MEAN, STD) or uniform(LOW, HIGH) with numbers as arguments",
        )
    name, a, b = match.group(1), float(match.group(2)), float(match.group(3))
    if not (np.isfinite(a) and np.isfinite(b)):
        raise RunError(f"{text.strip()}: the arguments must be finite")
    if name == "normal" and b < 0:
        raise RunError(f"{text.strip()}: a standard deviation must be ≥ 0")
    if name == "uniform" and b < a:
        raise RunError(f"{text.strip()}: uniform(LOW, HIGH) needs LOW ≤ HIGH")
    return Draw(name, a, b)


def draw(spec: Draw, seed: int, variable: int, particles: int) -> np.ndarray:
    """`particles` draws of spec, from a stream keyed by (seed, variable):
    Philox fills the array in particle order, so a prefix of the particles
    gets the same values whatever their number."""
    generator = np.random.Generator(np.random.Philox(key=[seed % 2**64, 0x1A17 + variable]))
    if spec.distribution == "normal":
        return spec.a + spec.b * generator.standard_normal(particles)
    return spec.a + (spec.b - spec.a) * generator.random(particles)
