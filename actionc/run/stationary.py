"""Stationary paths of the action with fixed ends: q(t0) = a, q(t1) = b.

The path is N + 1 nodes q_k at t_k = t0 + k h; the discrete action
S_d = Σ L_d(q_k, q_{k+1}) (actionc.derive.variational, midpoint or
trapezoidal rule) is made stationary in the interior nodes by Newton's
method. Its Hessian is block tridiagonal, so each Newton step costs O(N n³)
(a block LDLᵀ factorization); the gradient and Hessian of L come from the
compiled model (np_lagrangian_gradient, np_lagrangian_hessian) and are
assembled by the chain rule through the quadrature nodes.

The second variation decides what the path is. By Sylvester's law of
inertia the number of negative eigenvalues of the Hessian (the Morse index,
one per conjugate point passed — Jacobi) is the number of negative
eigenvalues of the block pivots; 0 means a minimum. Measured against the
kinetic part K of the Hessian (from ∂²L/∂q'², positive definite for a
regular L), the eigenvalues μ of H x = μ K x are dimensionless: μ = 1 for a
free particle, μ_k = 1 − (ωT/kπ)² for the oscillator. The μ nearest zero is
found by bisection on the index of H − σK; when it is zero within the
discretization error (π/N)² the path is degenerate — a conjugate point,
like T = π/ω for the oscillator — and not isolated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np

from actionc.errors import RunError
from actionc.kinds import Kind
from actionc.quadrature import RULES, check_rule
from actionc.run.result import Result


@dataclass(frozen=True, eq=False)  # compared by identity: it holds arrays
class StationaryPath:
    t: np.ndarray  # (N + 1,) node times
    q: np.ndarray  # (N + 1, n) coordinates
    v: np.ndarray  # (N + 1, n) velocities whose momenta ∂L/∂q' are the discrete momenta
    coordinates: list[str]
    action: float  # the discrete action S_d
    residual: float  # max over interior nodes of |∂S_d/∂q_k| / h
    iterations: int  # Newton steps
    index: int  # Morse index: negative directions of the second variation
    eigenvalue: float  # of the second variation relative to its kinetic part, the one nearest zero
    degenerate: bool  # that eigenvalue is zero within the discretization error: a conjugate point
    rule: str

    @property
    def nature(self) -> str:
        if self.degenerate:
            return "degenerate: the second variation is singular (a conjugate point); the path is not isolated"
        if self.index == 0:
            return "minimum of the action"
        return f"saddle of the action, index {self.index} (not a minimum)"

    def summary(self) -> str:
        start = ", ".join(f"{n}={x:.6g}" for n, x in zip(self.coordinates, self.q[0]))
        end = ", ".join(f"{n}={x:.6g}" for n, x in zip(self.coordinates, self.q[-1]))
        return "\n".join(
            [
                f"stationary path from ({start}) at t={self.t[0]:g} to ({end}) at t={self.t[-1]:g}, "
                f"{len(self.t) - 1} steps ({self.rule} rule)",
                f"  action      {self.action:.10g}",
                f"  residual    {self.residual:.3g}  (max |∂S/∂q_k| / h, after {self.iterations} Newton steps)",
                f"  second variation: index {self.index}, relative eigenvalue nearest zero {self.eigenvalue:.6g}",
                f"  {self.nature}",
                "  initial velocity " + ", ".join(f"{n}'={x:.10g}" for n, x in zip(self.coordinates, self.v[0])),
            ]
        )

    def to_result(self, model: str, params: dict, names: list[str]) -> Result:
        """The path as a one-particle Result (t, x = (q, q')), to save, plot
        or evaluate like a simulation."""
        meta = {
            "model": model,
            "kind": "lagrangian",
            "method": f"stationary path ({self.rule})",
            "dt": float(self.t[1] - self.t[0]),
            "steps": len(self.t) - 1,
            "save_every": 1,
            "particles": 1,
            "seed": 0,
            "params": params,
            "diverged": 0,
            "failures": [],
            "stats": {},
            "complete": True,
            "action": self.action,
            "residual": self.residual,
            "index": self.index,
            "eigenvalue": self.eigenvalue,
            "degenerate": self.degenerate,
        }
        x = np.concatenate([self.q, self.v], axis=1)[:, None, :]
        return Result(t=self.t - self.t[0], x=x, names=list(names), meta=meta)


@numba.njit(cache=True)
def _factor(band) -> int:
    """LDLᵀ of a symmetric band matrix in place, band[i, k] = A[i, i − k]
    (k = 0 the diagonal, which gets D; below it L). No pivoting: the
    kinetic part h⁻¹ ∂²L/∂q'² dominates the diagonal at small steps. Returns
    the number of negative d_j (Sylvester: the Morse index), or −1 where a
    pivot vanishes."""
    size, width = band.shape[0], band.shape[1] - 1
    negative = 0
    for j in range(size):
        d = band[j, 0]
        for k in range(max(0, j - width), j):
            d -= band[j, j - k] * band[j, j - k] * band[k, 0]
        if not (abs(d) > 1e-300) or not math.isfinite(d):
            return -1
        band[j, 0] = d
        negative += d < 0.0
        for i in range(j + 1, min(size, j + width + 1)):
            value = band[i, i - j]
            for k in range(max(0, i - width), j):
                value -= band[i, i - k] * band[j, j - k] * band[k, 0]
            band[i, i - j] = value / d
    return negative


@numba.njit(cache=True)
def _solve(band, rhs):
    size, width = band.shape[0], band.shape[1] - 1
    x = rhs.copy()
    for i in range(size):
        for k in range(max(0, i - width), i):
            x[i] -= band[i, i - k] * x[k]
    for i in range(size):
        x[i] /= band[i, 0]
    for i in range(size - 1, -1, -1):
        for j in range(i + 1, min(size, i + width + 1)):
            x[i] -= band[j, j - i] * x[j]
    return x


class _BlockTridiagonal:
    """A symmetric block-tridiagonal matrix (n×n diagonal blocks D_i, blocks
    U_i above them) as a band of half-width 2n − 1, factored: its Morse
    index and O(N n³) solves."""

    def __init__(self, diagonal: np.ndarray, upper: np.ndarray) -> None:
        m, n, _ = diagonal.shape
        self.shape = (m, n)
        band = np.zeros((m * n, 2 * n))
        rows = np.arange(m) * n
        for a in range(n):
            for b in range(n):
                if b <= a:
                    band[rows + a, a - b] = diagonal[:, a, b]
                band[rows[1:] + a, n + a - b] = upper[:, b, a]  # below the diagonal: U_iᵀ
        self.index = int(_factor(band))
        if self.index < 0:
            raise np.linalg.LinAlgError("singular pivot")
        self.band = band

    def solve(self, rhs: np.ndarray) -> np.ndarray:
        return _solve(self.band, np.ascontiguousarray(rhs, dtype=float).reshape(-1)).reshape(self.shape)


class _DiscreteAction:
    """S_d, its gradient and its block Hessian at a path, from the compiled L."""

    def __init__(self, compiled, t: np.ndarray, rule: str, params: dict) -> None:
        self.lagrangian = compiled.function("lagrangian")
        self.gradient = compiled.function("lagrangian_gradient")
        self.hessian = compiled.function("lagrangian_hessian")
        self.t, self.h, self.params = t, t[1] - t[0], params
        self.nodes = [tuple(float(c) for c in node) for node in RULES[rule]]

    def segments(self, q: np.ndarray, second: bool = True):
        """Per segment k: L_d, ∂L_d/∂q_k, ∂L_d/∂q_{k+1}, and (second) the
        blocks ∂²L_d/∂q_a∂q_b for a, b ∈ {k, k+1} and their kinetic parts."""
        h, n = self.h, q.shape[1]
        v = np.diff(q, axis=0) / h
        value = 0.0
        g = np.zeros((2, *v.shape))
        blocks = np.zeros((2, 2, len(v), n, n))
        kinetic = np.zeros((2, 2, len(v), n, n))
        for w, alpha, beta, tau in self.nodes:
            state = np.concatenate([alpha * q[:-1] + beta * q[1:], v], axis=1)
            time = self.t[:-1] + tau * h
            value += h * w * float(np.sum(self.lagrangian(state, time, **self.params)))
            G = self.gradient(state, time, **self.params)
            for a, share in enumerate((alpha, beta)):
                sign = (-1.0, 1.0)[a]
                g[a] += h * w * (share * G[:, :n] + sign * G[:, n:] / h)
            if not second:
                continue
            H = self.hessian(state, time, **self.params)
            qq, qv, vv = H[:, :n, :n], H[:, :n, n:], H[:, n:, n:]
            for a, (sa, ca) in enumerate(((-1.0, alpha), (1.0, beta))):
                for b, (sb, cb) in enumerate(((-1.0, alpha), (1.0, beta))):
                    # ∂z/∂q_a = ca I, ∂v/∂q_a = sa I / h
                    block = ca * cb * qq + ca * sb / h * qv + sa * cb / h * np.swapaxes(qv, 1, 2)
                    blocks[a, b] += h * w * (block + sa * sb / h**2 * vv)
                    kinetic[a, b] += h * w * sa * sb / h**2 * vv
        return value, g, blocks, kinetic

    def interior_gradient(self, q: np.ndarray) -> np.ndarray:
        """∂S_d/∂q_k over the interior nodes."""
        return _interior(self.segments(q, second=False)[1])

    def system(self, q: np.ndarray):
        """The action, the segments' end gradients, the gradient over
        interior nodes, and the Hessian and kinetic Hessian as (diagonal,
        upper) block lists."""
        value, g, blocks, kinetic = self.segments(q)

        def assemble(parts):
            return parts[1, 1][:-1] + parts[0, 0][1:], parts[0, 1][1:-1]

        return value, g, _interior(g), assemble(blocks), assemble(kinetic)


def _interior(g: np.ndarray) -> np.ndarray:
    """Each interior node's gradient: from the segment ending and the one starting there."""
    return g[1][:-1] + g[0][1:]


def _velocities(compiled, t, q, momenta, params) -> np.ndarray:
    """The velocities whose momenta ∂L/∂q'(q, q') are the discrete momenta."""
    n = q.shape[1]
    gradient, hessian = compiled.function("lagrangian_gradient"), compiled.function("lagrangian_hessian")
    v = np.gradient(q, t, axis=0)
    for _ in range(50):
        state = np.concatenate([q, v], axis=1)
        mismatch = momenta - gradient(state, t, **params)[:, n:]
        step = np.linalg.solve(hessian(state, t, **params)[:, n:, n:], mismatch[..., None])[..., 0]
        v = v + step
        if np.max(np.abs(step)) <= 1e-13 * max(1.0, float(np.max(np.abs(v)))):
            break
    return v


def stationary_path(
    compiled,
    start,
    end,
    t_end: float,
    *,
    t0: float = 0.0,
    nodes: int = 200,
    guess=None,
    rule: str = "midpoint",
    params: dict | None = None,
    max_iterations: int = 100,
) -> StationaryPath:
    """The stationary path of the action from q(t0) = start to q(t_end) =
    end (each a sequence of coordinate values), from `guess`: None (the
    straight line), a callable t -> q(t), or an array (nodes + 1, n).
    Different guesses can find different stationary paths."""
    meta = compiled.meta
    if meta.kind is not Kind.LAGRANGIAN or not compiled.has("lagrangian_gradient"):
        raise RunError(
            f"a stationary path needs a Lagrangian; '{meta.model}' is a {meta.kind} model",
            hint="for energy models, 'actionc path' finds the minimum-energy path between minima",
        )
    if meta.noises:
        raise RunError("this model has noise; a stationary path is a property of the noise-free dynamics")
    if meta.forces:
        raise RunError(
            "this model has forces or dissipation, which no action principle includes",
            hint="stationary paths are for conservative Lagrangians; integrate forced motion with 'actionc run'",
        )
    check_rule(rule)
    # the discrete action evaluates L at (q, q') stacked in the kernel's state order
    assert meta.state == meta.coordinates + meta.conjugates, meta.state
    n = len(meta.coordinates)
    a, b = (np.asarray(x, float).reshape(n) for x in (start, end))
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise RunError("the ends of the path must be finite")
    if not (isinstance(nodes, int) and nodes >= 2):
        raise RunError(f"a path needs at least 2 steps (--nodes), not {nodes}")
    if not (np.isfinite(t_end) and t_end > t0):
        raise RunError(f"the path must end after it starts: t_end = {t_end} is not after t0 = {t0}")
    t = np.linspace(t0, t_end, nodes + 1)
    q = _initial_path(guess, t, a, b)
    params = dict(params or {})
    action = _DiscreteAction(compiled, t, rule, params)
    q, iterations = _newton(action, q, max_iterations)
    value, g, gradient, (diagonal, upper), (k_diagonal, k_upper) = action.system(q)
    momenta = np.concatenate([-g[0], g[1][-1:]])
    try:
        index = _BlockTridiagonal(diagonal, upper).index
        eigenvalue = _eigenvalue_nearest_zero((diagonal, upper), (k_diagonal, k_upper), index)
    except np.linalg.LinAlgError:
        index, eigenvalue = 0, 0.0
    degenerate = abs(eigenvalue) < (np.pi / nodes) ** 2
    return StationaryPath(
        t=t,
        q=q,
        v=_velocities(compiled, t, q, momenta, params),
        coordinates=list(meta.coordinates),
        action=value,
        residual=float(np.max(np.abs(gradient), initial=0.0)) / action.h,
        iterations=iterations,
        index=index,
        eigenvalue=eigenvalue,
        degenerate=bool(degenerate),
        rule=rule,
    )


def _newton(action: _DiscreteAction, q: np.ndarray, max_iterations: int) -> tuple[np.ndarray, int]:
    hint = "try another guess, more nodes, or a shorter time"
    for iteration in range(max_iterations):
        _, _, gradient, (diagonal, upper), _ = action.system(q)
        try:
            step = _BlockTridiagonal(diagonal, upper).solve(gradient)
        except np.linalg.LinAlgError:
            raise RunError(
                "Newton's method met a singular second variation (a conjugate point?)",
                hint="change --t-end, --nodes or the guess",
            ) from None
        q = _damped_step(action, q, step, gradient)
        if not np.all(np.isfinite(q)):
            raise RunError("Newton's method diverged", hint=hint)
        if np.max(np.abs(step)) <= 1e-12 * max(1.0, float(np.max(np.abs(q)))):
            return q, iteration + 1
    raise RunError(f"Newton's method did not converge in {max_iterations} steps", hint=hint)


def _initial_path(guess, t, a, b) -> np.ndarray:
    n = len(a)
    line = a + np.outer((t - t[0]) / (t[-1] - t[0]), b - a)
    if guess is None:
        q = line
    elif callable(guess):
        q = np.array([np.broadcast_to(np.asarray(guess(s), float), (n,)) for s in t])
    else:
        q = np.asarray(guess, float)
        if q.shape != (len(t), n):
            raise RunError(f"the guess has shape {q.shape}; it needs one row of {n} value(s) per node: {(len(t), n)}")
    if not np.all(np.isfinite(q)):
        raise RunError("the guess must be finite")
    q = q.copy()
    q[0], q[-1] = a, b  # the ends are fixed, whatever the guess says
    return q


def _damped_step(action: _DiscreteAction, q, step, gradient) -> np.ndarray:
    """q − λ step, λ halved until |∇S| decreases: full steps near the
    solution, and a full step too where nothing decreases (round-off)."""
    size = float(np.max(np.abs(gradient)))
    for halving in range(12):
        trial = q.copy()
        trial[1:-1] -= 0.5**halving * step
        new = action.interior_gradient(trial)
        if np.all(np.isfinite(new)) and float(np.max(np.abs(new))) < size:
            return trial
    trial = q.copy()
    trial[1:-1] -= step
    return trial


def _eigenvalue_nearest_zero(hessian, kinetic, index: int) -> float:
    """The eigenvalue μ of H x = μ K x nearest zero, by bisection on the
    number of eigenvalues below σ (the Morse index of H − σK; K is positive
    definite for a regular Lagrangian), each count one O(N n³) factorization."""

    def below(sigma: float) -> int:
        try:
            return _BlockTridiagonal(hessian[0] - sigma * kinetic[0], hessian[1] - sigma * kinetic[1]).index
        except np.linalg.LinAlgError:  # σ is an eigenvalue
            return below(sigma * (1 + 1e-12) + 1e-300)

    def bisect(low: float, high: float, count: int) -> float:
        """The σ in (low, high] where the count goes from `count` to more."""
        for _ in range(60):
            middle = 0.5 * (low + high)
            if high - low <= 1e-12 * max(1.0, abs(middle)):
                break
            low, high = (low, middle) if below(middle) > count else (middle, high)
        return 0.5 * (low + high)

    candidates = []
    high = 1.0
    while below(high) == index and high < 1e12:
        high *= 2
    if high < 1e12:
        candidates.append(bisect(0.0, high, index))
    if index > 0:
        low = -1.0
        while below(low) >= index and low > -1e12:
            low *= 2
        candidates.append(bisect(low, 0.0, index - 1))
    return min(candidates, key=abs, default=0.0)
