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

An underdamped Langevin model, M q'' = −∇V(q) − R q' + noise at T (a
lagrangian with dissipation and temperature, constant M and R), has the
landscape V(q): `landscape_of` shows it with the same functions, so minima,
saddles and paths are found alike. Its rate (Kramers 1940, moderate to
high friction; Langer 1969 in many dimensions) has |λ_s|/γ replaced by λ₊,
the growth rate of the dynamics linearized at the saddle — in one
dimension λ₊ = −γ/2 + sqrt(γ²/4 + ω_b²), γ = R/M, ω_b² = |V''(s)|/M —
which tends to the overdamped |λ_s|/R as the friction grows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from actionc.errors import RunError


@dataclass(frozen=True, eq=False)  # compared by identity: it holds arrays
class CriticalPoint:
    x: np.ndarray
    energy: float
    eigenvalues: np.ndarray  # of the Hessian, ascending
    hessian: np.ndarray | None = None

    @property
    def index(self) -> int:
        """Number of negative Hessian eigenvalues: 0 minimum, 1 saddle."""
        return int((self.eigenvalues < 0).sum())

    @property
    def kind(self) -> str:
        return {0: "minimum", 1: "saddle"}.get(self.index, f"index-{self.index} saddle")

    def describe(self, names) -> str:
        """One line: kind, position, energy, Hessian eigenvalues."""
        where = ", ".join(f"{n}={v:.6g}" for n, v in zip(names, self.x))
        eigen = ", ".join(f"{v:.4g}" for v in self.eigenvalues)
        return f"{self.kind:<8} {where}   E = {self.energy:.6g}   Hessian eigenvalues {eigen}"


@dataclass(frozen=True)
class Potential:
    """The potential V(q) of an underdamped Langevin model, shown as an
    energy model of the positions: function("energy" | "gradient" |
    "hessian" | "temperature") of q alone (velocities do not enter V)."""

    compiled: object
    inertial = True  # its rates are Kramers' (inertial), not overdamped

    _NAMES = {"energy": "potential", "gradient": "potential_gradient", "hessian": "potential_hessian"}

    @property
    def names(self) -> list[str]:
        return list(self.compiled.meta.coordinates)

    @property
    def meta(self):
        return self.compiled.meta

    def has(self, name: str) -> bool:
        return self.compiled.has(self._NAMES.get(name, name))

    def function(self, name: str):
        full = self.compiled.function(self._NAMES.get(name, name))
        k = len(self.names)

        def call(q, /, **params):
            q = np.asarray(q, float)
            return full(np.concatenate([q, np.zeros(q.shape[:-1] + (len(self.compiled.names) - k,))], -1), **params)

        return call

    def mass_and_friction(self, params=None) -> tuple[np.ndarray, np.ndarray]:
        """M and R (k × k)."""
        zero = np.zeros(len(self.names))
        return self.function("mass")(zero, **(params or {})), self.function("friction_matrix")(zero, **(params or {}))


def landscape_of(compiled):
    """What critical points, paths and rates are found on: an energy model
    itself, or the potential V(q) of an underdamped Langevin model."""
    if compiled.has("gradient"):
        return compiled
    if compiled.has("potential_gradient"):
        return Potential(compiled)
    raise RunError(
        "this needs an energy model, or a lagrangian with dissipation and temperature (underdamped Langevin, "
        "constant mass and friction)"
    )


def temperature_and_friction(compiled, params=None) -> tuple[float, float]:
    """T and γ of an energy model's overdamped Langevin dynamics (γ: for an
    underdamped model's potential, the friction rate R/M of its first
    coordinate, for the record; its rates use the matrices)."""
    landscape = landscape_of(compiled)
    zero = np.zeros(len(landscape.names))
    params = params or {}
    temperature = float(landscape.function("temperature")(zero, **params))
    if getattr(landscape, "inertial", False):
        mass, friction = landscape.mass_and_friction(params)
        return temperature, float(friction[0, 0] / mass[0, 0])
    return temperature, float(landscape.function("friction")(zero, **params))


def critical_points(compiled, low, high, per_axis: int = 12, params=None) -> list[CriticalPoint]:
    """Every critical point Newton finds from a grid of per_axis^n starts in
    the box [low, high]^n, sorted by energy, duplicates merged."""
    compiled = landscape_of(compiled)
    params = params or {}
    n = len(compiled.names)
    low, high = np.broadcast_to(np.asarray(low, float), (n,)), np.broadcast_to(np.asarray(high, float), (n,))
    axes = [np.linspace(a, b, per_axis) for a, b in zip(low, high)]
    starts = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, n)
    found = [x for x in (_newton(compiled, start, params, low, high) for start in starts) if x is not None]
    scale = float(np.max(high - low))
    points: list[CriticalPoint] = []
    for x in found:
        if any(np.max(np.abs(x - p.x)) < 1e-6 * max(1.0, scale) for p in points):
            continue
        points.append(_point(compiled, x, params))
    return sorted(points, key=lambda p: p.energy)


def _newton(compiled, x, params, low=None, high=None):
    """The critical point Newton's method reaches from x (staying within one
    box width of [low, high] when given), or None."""
    gradient, hessian = compiled.function("gradient"), compiled.function("hessian")
    energy = compiled.function("energy")
    reach = None if low is None else float(np.max(high - low))
    for _ in range(60):
        g = gradient(x, **params)
        try:
            step = np.linalg.solve(hessian(x, **params), g)
        except np.linalg.LinAlgError:
            return None
        x = x - step
        if not np.all(np.isfinite(x)):
            return None
        if reach is not None and (np.any(x < low - reach) or np.any(x > high + reach)):
            return None
        if np.max(np.abs(step)) < 1e-12 * max(1.0, np.max(np.abs(x))):
            if np.max(np.abs(gradient(x, **params))) < 1e-8 * max(1.0, abs(float(energy(x, **params)))):
                return x
            return None
    return None


def _point(compiled, x, params) -> CriticalPoint:
    hessian = compiled.function("hessian")(x, **params)
    return CriticalPoint(x, float(compiled.function("energy")(x, **params)), np.linalg.eigvalsh(hessian), hessian)


def connected_minima(compiled, saddle: CriticalPoint, minima: list[CriticalPoint], params=None):
    """The two minima an index-1 saddle joins: follow the gradient flow down
    from either side of the saddle's unstable direction until it is near one."""
    compiled = landscape_of(compiled)
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


def kramers_rate(minimum: CriticalPoint, saddle: CriticalPoint, temperature: float, friction=1.0, mass=None) -> float:
    """The Eyring–Kramers escape rate from `minimum` over `saddle`. friction:
    γ of overdamped dx = −∇E/γ dt + …, a number or a matrix R. With `mass`
    M, the inertial rate of M q'' = −∇V − R q' + noise (Kramers 1940, Langer
    1969): the growth rate λ₊ at the saddle in place of |λ_s|/γ."""
    if mass is not None:
        growth = inertial_growth(saddle.hessian, mass, friction)
    elif np.ndim(friction) == 2:  # overdamped R q' = −∇V: the largest eigenvalue of −R⁻¹H at the saddle
        growth = float(np.max(np.linalg.eigvals(-np.linalg.solve(friction, saddle.hessian)).real))
    else:
        growth = -saddle.eigenvalues[0] / friction
    prefactor = growth / (2 * math.pi)
    prefactor *= math.sqrt(np.prod(minimum.eigenvalues) / abs(np.prod(saddle.eigenvalues)))
    return prefactor * math.exp(-(saddle.energy - minimum.energy) / temperature)


def inertial_growth(hessian: np.ndarray, mass: np.ndarray, friction: np.ndarray) -> float:
    """λ₊: the growth rate of M q'' = −H q − R q' at an index-1 saddle, the
    positive root of det(λ²M + λR + H) = 0 — in one dimension −γ/2 +
    sqrt(γ²/4 + |H|/M), γ = R/M. For λ > 0 the smallest eigenvalue of
    λ²M + λR + H rises through zero exactly once (M, R positive definite),
    so bracketing finds it to round-off, also at high friction where
    λ₊ ≈ |H|/R is tiny next to R (an eigen-solver of the first-order
    system would lose its digits)."""
    from scipy.optimize import brentq

    def smallest(growth: float) -> float:
        return float(np.linalg.eigvalsh(growth**2 * mass + growth * friction + hessian)[0])

    high = 1.0
    while smallest(high) <= 0:
        high *= 2.0
    return float(brentq(smallest, 0.0, high, xtol=1e-300, rtol=4 * np.finfo(float).eps))


def escape_rate(
    compiled, start, target, radius: float, *, dt: float, t_end: float, particles: int, params=None, seed=5, every=50
) -> tuple[float, float]:
    """The rate of first passage from `start` into the ball of `radius`
    around `target`, measured from a compiled ensemble run censored at
    t_end: the exponential maximum-likelihood estimate (passages / total
    time at risk), with the fraction of particles that arrived. Passages
    are seen at every `every`-th step. `start` and `target` are positions:
    of an underdamped model, its coordinates (the velocities start as the
    model's init says, and play no part in arriving)."""
    k = len(target)
    result = compiled.run(
        dt=dt,
        steps=round(t_end / dt),
        particles=particles,
        seed=seed,
        save_every=every,
        params=params or {},
        init=dict(zip(compiled.names[:k], map(float, start))),
        invariants=False,
    )
    inside = np.linalg.norm(result.x[..., :k] - np.asarray(target, float), axis=2) < radius
    passed = inside.any(axis=0)
    times = np.where(passed, result.t[inside.argmax(axis=0)], result.t[-1])
    return float(passed.sum() / times.sum()), float(passed.mean())


STEP = 0.05  # of the string's gradient descent, over the largest curvature (stable below 2)


@dataclass(frozen=True, eq=False)
class TransitionPath:
    """The minimum-energy path between two minima: the string's images,
    their energies and normalized arc length, and the critical points on
    it in order (minima and saddles alternating, start and end included)."""

    x: np.ndarray  # (images, n)
    energy: np.ndarray  # (images,)
    arclength: np.ndarray  # (images,), 0 at the start, 1 at the end
    points: list[CriticalPoint]
    iterations: int

    @property
    def saddles(self) -> list[CriticalPoint]:
        return [p for p in self.points if p.index >= 1]

    @property
    def barrier(self) -> float:
        """The highest energy on the path above the starting minimum."""
        return max(p.energy for p in self.points) - self.points[0].energy


def relax(compiled, x, params=None) -> CriticalPoint:
    """The minimum the gradient flow x' = −∇E reaches from x (Newton for the
    last digits)."""
    compiled = landscape_of(compiled)
    params = params or {}
    gradient, hessian = compiled.function("gradient"), compiled.function("hessian")
    x = np.asarray(x, float)
    for _ in range(100_000):
        g = gradient(x, **params)
        curvature = max(float(np.max(np.abs(np.linalg.eigvalsh(hessian(x, **params))))), 1e-12)
        x = x - g / curvature  # explicit Euler, stable below 2/curvature
        if not np.all(np.isfinite(x)):
            raise RunError("the gradient flow from the given point diverged: no minimum there")
        if np.max(np.abs(g)) / curvature < 1e-6 * max(1.0, float(np.max(np.abs(x)))):
            break
    polished = _newton(compiled, x, params)
    point = _point(compiled, x if polished is None else polished, params)
    if point.index != 0:
        raise RunError("the gradient flow from the given point stopped at a saddle, not a minimum")
    return point


def minimum_energy_path(
    compiled, start, end, images: int = 100, params=None, tolerance: float = 1e-7, max_iterations: int = 200_000
) -> TransitionPath:
    """The minimum-energy path from the minimum below `start` to the one
    below `end`, by the simplified string method (E, Ren & Vanden-Eijnden,
    J. Chem. Phys. 126, 164103, 2007): images move down −∇E and are put back
    at equal arc length, until they stop moving (|Δφ| / Δt < tolerance
    times the largest gradient on the string). A step along a bending
    string leaves it by κ (Δt |∇E|)² / 2, which the fixed point balances
    with a gradient across the string of κ Δt |∇E|² / 2: the step is a
    tenth of the stability limit to keep that below a percent. Local energy maxima on the
    string are then refined to saddle points by Newton's method; it is the
    minimum-action path of the overdamped Langevin dynamics (its
    Freidlin–Wentzell action is the barrier over T)."""
    compiled = landscape_of(compiled)
    params = params or {}
    if images < 3:
        raise RunError(f"a string needs at least 3 images, not {images}")
    gradient, hessian, energy = (compiled.function(f) for f in ("gradient", "hessian", "energy"))
    first, last = relax(compiled, start, params), relax(compiled, end, params)
    if np.allclose(first.x, last.x, atol=1e-8):
        raise RunError("both ends relax to the same minimum", hint="give points in two different basins")
    alpha = np.linspace(0.0, 1.0, images)
    string = first.x + np.outer(alpha, last.x - first.x)
    curvature = float(np.max(np.abs(np.linalg.eigvalsh(hessian(string, **params)))))
    dt = STEP / curvature
    for iteration in range(1, max_iterations + 1):
        moved = string - dt * gradient(string, **params)
        moved[0], moved[-1] = first.x, last.x
        moved = _equal_arclength(moved)
        size = float(np.max(np.abs(gradient(moved, **params))))
        change = float(np.max(np.abs(moved - string))) / dt
        string = moved
        if change < tolerance * max(size, 1e-300):
            break
        if iteration % 1000 == 0:  # the string explores stiffer places as it moves
            dt = STEP / max(curvature, float(np.max(np.abs(np.linalg.eigvalsh(hessian(string, **params))))))
    else:
        raise RunError(f"the string did not converge in {max_iterations} iterations", hint="try fewer images")
    energies = energy(string, **params)
    points = [first]
    for i in range(1, images - 1):
        if energies[i] >= energies[i - 1] and energies[i] >= energies[i + 1]:
            kind_wanted = 1
        elif energies[i] <= energies[i - 1] and energies[i] <= energies[i + 1]:
            kind_wanted = 0
        else:
            continue
        x = _newton(compiled, string[i], params)
        if x is not None:
            point = _point(compiled, x, params)
            if point.index == kind_wanted and not any(np.allclose(point.x, p.x, atol=1e-8) for p in points):
                points.append(point)
    points.append(last)
    lengths = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(string, axis=0), axis=1))])
    return TransitionPath(string, energies, lengths / lengths[-1], points, iteration)


def _equal_arclength(string: np.ndarray) -> np.ndarray:
    """The same curve resampled at equal arc length, through a natural cubic
    spline of the images against their chord length: linear interpolation
    would cut corners by κΔs²/8 at each step and leave a gradient across the
    string of that over the step size."""
    lengths = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(string, axis=0), axis=1))])
    target = np.linspace(0.0, lengths[-1], len(string))
    h = np.diff(lengths)
    slopes = np.diff(string, axis=0) / h[:, None]
    # second derivatives at the interior knots (zero at the ends): one tridiagonal system
    m = len(string)
    matrix = np.diag(2 * (h[:-1] + h[1:])) + np.diag(h[1:-1], 1) + np.diag(h[1:-1], -1)
    curvature = np.zeros_like(string)
    curvature[1:-1] = np.linalg.solve(matrix, 6 * np.diff(slopes, axis=0)) if m > 2 else 0.0
    segment = np.clip(np.searchsorted(lengths, target, side="right") - 1, 0, m - 2)
    a = (lengths[segment + 1] - target) / h[segment]
    b = 1.0 - a
    hs = h[segment][:, None] ** 2 / 6
    a, b = a[:, None], b[:, None]
    return (
        a * string[segment]
        + b * string[segment + 1]
        + ((a**3 - a) * curvature[segment] + (b**3 - b) * curvature[segment + 1]) * hs
    )
