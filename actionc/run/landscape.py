"""Energy landscapes: minima and saddle points of an energy model, and the
Eyring–Kramers rates of the transitions between minima.

Critical points are found by Newton's method on ∇E = 0 (with the exact
Hessian) from a grid of starting points, and classified by the signs of the
Hessian's eigenvalues. For overdamped Langevin dynamics dx = −∇E/γ dt +
sqrt(2T/γ) dW, the rate of escape from a minimum m over an index-1 saddle s
is (Berglund, Kramers' law: validity, derivations and generalisations, 2013)

    k = |λ_s| / (2π γ) · sqrt(det H_m / |det H_s|) · exp(−(E_s − E_m)/T),

λ_s the negative eigenvalue of the Hessian at s; valid when the barrier is
several T high.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)  # compared by identity: it holds arrays
class CriticalPoint:
    x: np.ndarray
    energy: float
    eigenvalues: np.ndarray  # of the Hessian, ascending

    @property
    def index(self) -> int:
        """Number of negative Hessian eigenvalues: 0 minimum, 1 saddle."""
        return int((self.eigenvalues < 0).sum())

    @property
    def kind(self) -> str:
        return {0: "minimum", 1: "saddle"}.get(self.index, f"index-{self.index} saddle")


def critical_points(compiled, low, high, per_axis: int = 12, params=None) -> list[CriticalPoint]:
    """Every critical point Newton finds from a grid of per_axis^n starts in
    the box [low, high]^n, sorted by energy, duplicates merged."""
    params = params or {}
    gradient, hessian = compiled.function("gradient"), compiled.function("hessian")
    energy = compiled.function("energy")
    n = len(compiled.names)
    low, high = np.broadcast_to(np.asarray(low, float), (n,)), np.broadcast_to(np.asarray(high, float), (n,))
    axes = [np.linspace(a, b, per_axis) for a, b in zip(low, high)]
    starts = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, n)
    found: list[np.ndarray] = []
    scale = float(np.max(high - low))
    for x in starts:
        for _ in range(60):
            g = gradient(x, **params)
            try:
                step = np.linalg.solve(hessian(x, **params), g)
            except np.linalg.LinAlgError:
                break
            x = x - step
            if not np.all(np.isfinite(x)) or np.any(x < low - scale) or np.any(x > high + scale):
                break
            if np.max(np.abs(step)) < 1e-12 * max(1.0, np.max(np.abs(x))):
                if np.max(np.abs(gradient(x, **params))) < 1e-8 * max(1.0, abs(float(energy(x, **params)))):
                    found.append(x)
                break
    points: list[CriticalPoint] = []
    for x in found:
        if any(np.max(np.abs(x - p.x)) < 1e-6 * max(1.0, scale) for p in points):
            continue
        eigenvalues = np.linalg.eigvalsh(hessian(x, **params))
        points.append(CriticalPoint(x, float(energy(x, **params)), eigenvalues))
    return sorted(points, key=lambda p: p.energy)


def connected_minima(compiled, saddle: CriticalPoint, minima: list[CriticalPoint], params=None):
    """The two minima an index-1 saddle joins: follow the gradient flow down
    from either side of the saddle's unstable direction until it is near one."""
    params = params or {}
    gradient, hessian = compiled.function("gradient"), compiled.function("hessian")
    values, vectors = np.linalg.eigh(hessian(saddle.x, **params))
    curvature = 2.0 * max(float(np.max(np.abs(p.eigenvalues))) for p in [saddle, *minima])
    spread = max(float(np.max(np.abs(m.x - saddle.x))) for m in minima)
    ends = []
    for sign in (-1.0, 1.0):
        x = saddle.x + sign * 1e-3 * spread * vectors[:, 0]
        nearest = min(minima, key=lambda m: float(np.linalg.norm(m.x - x)))
        for _ in range(100_000):  # explicit Euler on x' = −∇E, stable for steps below 2/curvature
            x = x - gradient(x, **params) / curvature
            nearest = min(minima, key=lambda m: float(np.linalg.norm(m.x - x)))
            if np.linalg.norm(nearest.x - x) < 1e-2 * spread:
                break
        ends.append(nearest)
    return ends


def kramers_rate(minimum: CriticalPoint, saddle: CriticalPoint, temperature: float, friction: float = 1.0) -> float:
    """The Eyring–Kramers escape rate from `minimum` over `saddle`."""
    unstable = -saddle.eigenvalues[0]
    prefactor = unstable / (2 * math.pi * friction)
    prefactor *= math.sqrt(np.prod(minimum.eigenvalues) / abs(np.prod(saddle.eigenvalues)))
    return prefactor * math.exp(-(saddle.energy - minimum.energy) / temperature)
