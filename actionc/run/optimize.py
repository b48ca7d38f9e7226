"""Optimization as frozen dynamics: minima of an energy model from many
starts at once, each start a particle.

Each method is the discretization of a flow (docs/learning.md):

    gd         Euler steps of the gradient flow x' = −∇E (a fixed step
               `lr`, or an Armijo backtracking line search without one)
    momentum   Polyak's heavy ball, x_{k+1} = x_k − lr ∇E(x_k) + β (x_k − x_{k−1}):
               the damped Newtonian flow x'' + c x' + ∇E = 0
    nesterov   Nesterov's accelerated gradient, y = x_k + μ_k (x_k − x_{k−1}),
               x_{k+1} = y − lr ∇E(y), μ_k = (k − 1)/(k + 2) unless a
               constant `momentum` is given: the Su–Boyd–Candès ODE
               x'' + (3/t) x' + ∇E = 0 (Su, Boyd & Candès 2016)
    adam       Kingma & Ba (2015), bias-corrected moments
    newton     Newton's step on the exact Hessian, shifted to be positive
               definite where it is not (Nocedal & Wright 2006, §3.4), with an
               Armijo backtracking line search: converges from far away
    lbfgs      limited-memory BFGS (Nocedal & Wright, Algorithm 7.4, the
               two-loop recursion), Armijo backtracking from the unit step

Everything is vectorized over the particles: one call of the compiled
evaluation (actionc.run.evaluate) per iteration serves every particle that
is still moving. A particle stops when ‖∇E‖₂ ≤ tol (converged), when its
line search cannot lower E any more (round-off), when E or ∇E stop being
finite (diverged: it is frozen at its last finite point), or at max_iter.
The end points are grouped into distinct minima (or saddles), each with
its Hessian's eigenvalues and the Laplace approximation N(x*, T·H⁻¹).
"""

from __future__ import annotations

import math
import time

import numpy as np

from actionc.errors import RunError
from actionc.run.evaluate import FINITE_DIFFERENCE_MAX, Objective, objective
from actionc.run.minibatch import Minibatches, check_data_sum, stochastic_gradient
from actionc.run.result import Result

ARMIJO = 1e-4  # sufficient decrease: E(x + a d) ≤ E(x) + ARMIJO · a · ∇E·d …
ROUNDOFF = 1e-14  # E's rounding, relative: below it a step is judged by the slope (_backtrack)
APPROXIMATE_WOLFE = 0.8  # … which may turn from ∇E·d < 0 to at most 0.8 |∇E·d|
SHORTEST = 1e-20  # a line search that needs a smaller step than this has met round-off
SAVED_VALUES = 2e7  # numbers of the path kept by default (160 MB): save_every grows past it
PATH_ENERGIES = 64  # particles whose energy at every save is kept in the meta (loss curves)
LAPLACE_MAX = 200  # state entries up to which a minimum's Laplace covariance is kept in the meta
STATUS = ("running", "converged", "max_iter", "line_search", "diverged")


class _Particles:
    """x, E, ∇E of every particle (rows), updated in place for the moving ones."""

    def __init__(self, problem: Objective, x: np.ndarray) -> None:
        self.problem = problem
        self.x = x
        self.e, self.g = problem.energy_and_gradient(x)  # E kept current by the methods with a line search


def _backtrack(problem: Objective, x, e, g, d, step) -> tuple[np.ndarray, ...]:
    """Armijo backtracking from `step` along d for each row: (x_new, E_new,
    ∇E_new, the step taken, found); halving until E(x + a d) ≤ E + c a ∇E·d.
    E and ∇E of a trial come together (one pass over an indexed model's
    data): the first trial is mostly taken, and its gradient is needed. Near a
    minimum E's decrease falls below its rounding: there a step within
    ROUNDOFF·|E| is taken if the slope along d has not turned by more than
    APPROXIMATE_WOLFE (Hager & Zhang 2005's approximate Wolfe test), else
    no method could get ‖∇E‖ below about sqrt(ε|E|·curvature)."""
    slope = np.einsum("ij,ij->i", g, d)
    x_new, e_new, g_new, step = x.copy(), e.copy(), g.copy(), step.copy()
    found = np.zeros(len(x), dtype=bool)
    todo = np.flatnonzero(slope < 0)
    while todo.size:
        trial = x[todo] + step[todo, None] * d[todo]
        with np.errstate(all="ignore"):
            e_trial, g_trial = problem.energy_and_gradient(trial)
        finite = np.isfinite(e_trial)
        good = finite & (e_trial <= e[todo] + ARMIJO * step[todo] * slope[todo])
        band = np.flatnonzero(finite & ~good & (e_trial <= e[todo] + ROUNDOFF * np.abs(e[todo])))
        if band.size:
            turned = np.einsum("ij,ij->i", g_trial[band], d[todo[band]])
            good[band] = turned <= -APPROXIMATE_WOLFE * slope[todo[band]]
        done = todo[good]
        x_new[done], e_new[done], g_new[done], found[done] = trial[good], e_trial[good], g_trial[good], True
        todo = todo[~good]
        step[todo] *= 0.5
        todo = todo[step[todo] >= SHORTEST]
    return x_new, e_new, g_new, step, found


class _GradientDescent:
    """x ← x − lr ∇E, or with a line search when no lr is given."""

    stops = True  # by the gradient norm

    def __init__(self, state: _Particles, lr: float | None, **_) -> None:
        self.lr = lr
        self.step_size = 1.0 / np.maximum(np.linalg.norm(state.g, axis=1), 1e-300)  # a first move of length 1

    def step(self, state: _Particles, a: np.ndarray, k: int) -> np.ndarray:
        if self.lr is not None:
            state.x[a] -= self.lr * state.g[a]
            state.g[a] = state.problem.gradient(state.x[a])
            return np.ones(len(a), dtype=bool)
        x, e, g, step, found = _backtrack(
            state.problem, state.x[a], state.e[a], state.g[a], -state.g[a], self.step_size[a]
        )
        state.x[a], state.e[a], state.g[a] = x, e, g
        self.step_size[a] = np.minimum(2.0 * step, 1e6)  # try a longer step next time
        return found


def _minibatch_gradients(state: _Particles, a: np.ndarray, k: int, batches) -> np.ndarray:
    """∇Ê at each moving particle's x from its minibatch of iteration k."""
    return np.array(
        [stochastic_gradient(state.problem, batches, state.x[i], batches.rows(int(i), k - 1)) for i in a]
    ).reshape(len(a), state.x.shape[1])


class _HeavyBall:
    """x_{k+1} = x_k − lr ∇E(x_k) + β (x_k − x_{k−1}); with minibatches, ∇Ê
    (SGD with momentum: no stopping by a noisy gradient's norm)."""

    def __init__(self, state: _Particles, lr: float, momentum: float | None, batches=None, **_) -> None:
        self.lr, self.beta = lr, 0.9 if momentum is None else momentum
        self.velocity = np.zeros_like(state.x)
        self.batches, self.stops = batches, batches is None

    def step(self, state: _Particles, a: np.ndarray, k: int) -> np.ndarray:
        g = state.g[a] if self.batches is None else _minibatch_gradients(state, a, k, self.batches)
        self.velocity[a] = self.beta * self.velocity[a] - self.lr * g
        state.x[a] += self.velocity[a]
        if self.batches is None:
            state.g[a] = state.problem.gradient(state.x[a])
        return np.ones(len(a), dtype=bool)


class _Nesterov:
    """y = x_k + μ_k (x_k − x_{k−1}), x_{k+1} = y − lr ∇E(y); μ_k = (k − 1)/(k + 2);
    with minibatches, ∇Ê(y) (no stopping by a noisy gradient's norm)."""

    def __init__(self, state: _Particles, lr: float, momentum: float | None, batches=None, **_) -> None:
        self.lr, self.momentum = lr, momentum
        self.previous = state.x.copy()
        self.batches, self.stops = batches, batches is None

    def step(self, state: _Particles, a: np.ndarray, k: int) -> np.ndarray:
        mu = self.momentum if self.momentum is not None else ((k - 1.0) / (k + 2.0))
        y = state.x[a] + mu * (state.x[a] - self.previous[a])
        self.previous[a] = state.x[a]
        if self.batches is None:
            state.x[a] = y - self.lr * state.problem.gradient(y)
            state.g[a] = state.problem.gradient(state.x[a])  # the stopping rule's gradient, at x
        else:
            state.x[a] = y
            state.x[a] -= self.lr * _minibatch_gradients(state, a, k, self.batches)  # ∇Ê at y
        return np.ones(len(a), dtype=bool)


class _Adam:
    """Adam: m, v the decaying means of ∇E and ∇E², bias-corrected; with
    minibatches, of ∇Ê (no stopping by a noisy gradient's norm)."""

    def __init__(self, state: _Particles, lr: float | None, momentum: float | None, batches=None, **_) -> None:
        self.lr = 1e-3 if lr is None else lr
        self.beta1, self.beta2, self.eps = (0.9 if momentum is None else momentum), 0.999, 1e-8
        self.m, self.v = np.zeros_like(state.x), np.zeros_like(state.x)
        self.batches, self.stops = batches, batches is None

    def step(self, state: _Particles, a: np.ndarray, k: int) -> np.ndarray:
        g = state.g[a] if self.batches is None else _minibatch_gradients(state, a, k, self.batches)
        self.m[a] = self.beta1 * self.m[a] + (1 - self.beta1) * g
        self.v[a] = self.beta2 * self.v[a] + (1 - self.beta2) * g * g
        m_hat = self.m[a] / (1 - self.beta1**k)
        v_hat = self.v[a] / (1 - self.beta2**k)
        state.x[a] -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
        if self.batches is None:
            state.g[a] = state.problem.gradient(state.x[a])
        return np.ones(len(a), dtype=bool)


class _Newton:
    """d = −(H + σI)⁻¹ ∇E with σ ≥ 0 the least shift making H + σI
    positive definite (by its eigenvalues), then Armijo from the unit step."""

    stops = True  # by the gradient norm

    def __init__(self, state: _Particles, **_) -> None:
        pass

    def step(self, state: _Particles, a: np.ndarray, k: int) -> np.ndarray:
        values, vectors = np.linalg.eigh(state.problem.hessian(state.x[a]))
        scale = np.maximum(np.abs(values).max(axis=1), 1e-300)
        floor = 1e-10 * scale  # the smallest curvature a step trusts (relative)
        shift = np.maximum(0.0, floor - values.min(axis=1))
        curvature = np.maximum(values + shift[:, None], floor[:, None])
        along = np.einsum("pji,pj->pi", vectors, state.g[a]) / curvature
        d = -np.einsum("pij,pj->pi", vectors, along)
        x, e, g, _, found = _backtrack(state.problem, state.x[a], state.e[a], state.g[a], d, np.ones(len(a)))
        state.x[a], state.e[a], state.g[a] = x, e, g
        return found


class _LBFGS:
    """The two-loop recursion over the last `memory` pairs (s, y), all
    particles' pairs in one ring (a pair a particle skipped has ρ = 0 and
    drops out of both loops); H₀ = (sᵀy / yᵀy) I from its newest pair."""

    stops = True  # by the gradient norm

    def __init__(self, state: _Particles, memory: int = 10, **_) -> None:
        shape = (memory, *state.x.shape)
        self.s, self.y = np.zeros(shape), np.zeros(shape)
        self.rho = np.zeros((memory, len(state.x)))
        self.gamma = np.zeros(len(state.x))  # 0: no pair yet, the first step is scaled to length 1
        self.memory = memory

    def direction(self, g: np.ndarray, a: np.ndarray, k: int) -> np.ndarray:
        q = g.copy()
        order = [(k - 1 - j) % self.memory for j in range(self.memory)]  # newest first
        alphas = []
        for slot in order:
            alpha = self.rho[slot, a] * np.einsum("ij,ij->i", self.s[slot, a], q)
            q -= alpha[:, None] * self.y[slot, a]
            alphas.append(alpha)
        gamma = self.gamma[a]
        first = gamma == 0
        gamma = np.where(first, 1.0 / np.maximum(np.linalg.norm(g, axis=1), 1e-300), gamma)
        r = gamma[:, None] * q
        for slot, alpha in zip(reversed(order), reversed(alphas)):
            beta = self.rho[slot, a] * np.einsum("ij,ij->i", self.y[slot, a], r)
            r += (alpha - beta)[:, None] * self.s[slot, a]
        return -r

    def step(self, state: _Particles, a: np.ndarray, k: int) -> np.ndarray:
        g = state.g[a]
        d = self.direction(g, a, k)
        uphill = np.einsum("ij,ij->i", g, d) >= 0  # round-off in the pairs: restart from −∇E
        if uphill.any():
            self.rho[:, a[uphill]] = 0.0
            self.gamma[a[uphill]] = 0.0
            d[uphill] = -g[uphill] / np.maximum(np.linalg.norm(g[uphill], axis=1), 1e-300)[:, None]
        x, e, g_new, _, found = _backtrack(state.problem, state.x[a], state.e[a], g, d, np.ones(len(a)))
        s, y = x - state.x[a], g_new - g
        sy = np.einsum("ij,ij->i", s, y)
        keep = sy > 1e-12 * np.linalg.norm(s, axis=1) * np.linalg.norm(y, axis=1)  # curvature condition
        slot = k % self.memory
        self.s[slot, a], self.y[slot, a] = s, y
        self.rho[slot, a] = np.where(keep, 1.0 / np.where(keep, sy, 1.0), 0.0)
        yy = np.einsum("ij,ij->i", y, y)
        self.gamma[a] = np.where(keep, sy / np.where(keep, yy, 1.0), self.gamma[a])
        state.x[a], state.e[a], state.g[a] = x, e, g_new
        return found


class _StochasticGradientDescent:
    """x ← x − lr ∇Ê, ∇Ê from a minibatch of the data (or ∇E without one):
    Euler–Maruyama steps of a Langevin dynamics whose noise is the batch's
    (Mandt, Hoffman & Blei 2017). It runs max_iter iterations: a noisy
    gradient's norm is no stopping rule."""

    stops = False

    def __init__(self, state: _Particles, lr: float, batches=None, **_) -> None:
        self.lr, self.batches = lr, batches

    def step(self, state: _Particles, a: np.ndarray, k: int) -> np.ndarray:
        if self.batches is None:
            state.x[a] -= self.lr * state.problem.gradient(state.x[a])
        else:
            state.x[a] -= self.lr * _minibatch_gradients(state, a, k, self.batches)
        return np.ones(len(a), dtype=bool)


METHODS = {
    "gd": _GradientDescent,
    "momentum": _HeavyBall,
    "nesterov": _Nesterov,
    "adam": _Adam,
    "newton": _Newton,
    "lbfgs": _LBFGS,
    "sgd": _StochasticGradientDescent,
}
NEEDS_LR = ("momentum", "nesterov", "sgd")  # without a line search a step size is part of the method
BATCHED = ("sgd", "momentum", "nesterov", "adam")  # the methods that take minibatch gradients (--batch)


def optimize(
    compiled,
    method: str = "lbfgs",
    *,
    particles: int = 1,
    seed: int = 0,
    params=None,
    init=None,
    inputs=None,
    max_iter: int = 10_000,
    tol: float = 1e-6,
    lr: float | None = None,
    momentum: float | None = None,
    memory: int = 10,
    save_every: int | None = None,
    hessian: bool = True,
    group_tol: float = 1e-4,
    batch: int | None = None,
) -> Result:
    """Minimize the energy of `compiled` from `particles` starts drawn from
    the model's init (and `init`); see Compiled.optimize."""
    _check(method, particles, max_iter, tol, lr, momentum, memory, save_every, group_tol)
    start = compiled.run(
        dt=1.0, steps=0, particles=particles, seed=seed, params=params, init=init, inputs=inputs, invariants=False
    )
    data = compiled.data(inputs)[0] if compiled.meta.inputs else None
    values = start.meta["params"]
    problem = objective(compiled, values, data, start.names)
    if (method == "newton" or hessian) and problem.indexed and problem.n > FINITE_DIFFERENCE_MAX:
        what = "newton" if method == "newton" else "the Hessian of each minimum"
        raise RunError(
            f"{what} needs the Hessian, which is not formed for an indexed model of {problem.n} state entries "
            f"(it takes 2n gradients; the limit is {FINITE_DIFFERENCE_MAX})",
            hint="use lbfgs, which needs no Hessian, and hessian=False (--no-hessian)",
        )
    if save_every is None:  # every iteration, unless the path could outgrow SAVED_VALUES
        save_every = max(1, math.ceil(max_iter * particles * problem.n / SAVED_VALUES))
    began = time.perf_counter()
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        state = _Particles(problem, start.x[0].copy())
        batches = None
        if batch is not None:
            if method not in BATCHED:
                raise RunError(
                    f"--batch is for {', '.join(BATCHED)}: {method} needs the exact gradient",
                    hint="--method sgd --lr …",
                )
            batches = Minibatches(compiled.meta, problem.data, problem.p, batch, seed)
            check_data_sum(problem, batches, state.x[0])
        stepper = METHODS[method](state, lr=lr, momentum=momentum, memory=memory, batches=batches)
        path, iterations, status = _iterate(state, stepper, max_iter, tol, save_every)
    seconds = time.perf_counter() - began
    state.e, state.g = problem.energy_and_gradient(state.x)
    gradient_norm = np.linalg.norm(state.g, axis=1)
    minima = group_minima(problem, state.x, state.e, gradient_norm, iterations, status, group_tol, hessian)
    times = np.array(sorted(path))
    saves = np.stack([path[k] for k in times])
    traced = saves[:, :PATH_ENERGIES]
    path_energy = problem.energy(traced.reshape(-1, traced.shape[2])).reshape(traced.shape[:2])
    meta = {
        "model": compiled.meta.model,
        "model_hash": compiled.model_hash,
        "kind": compiled.meta.kind.value,
        "command": "optimize",
        "method": method,
        "dt": 1.0,  # t counts iterations
        "steps": int(iterations.max(initial=0)),
        "save_every": int(save_every),
        "particles": int(particles),
        "seed": int(seed),
        "params": values,
        "diverged": int((status == STATUS.index("diverged")).sum()),
        "failures": [],
        "stats": {},
        "complete": True,
        "source": compiled.model_source,
        "optimize": {
            "method": method,
            "tol": tol,
            "max_iter": max_iter,
            "lr": lr,
            "momentum": momentum,
            "batch": batch,
            "memory": memory,
            "seconds": seconds,
            "temperature": problem.temperature,
            "hessian": _hessian_kind(problem, hessian),
            "iterations": iterations.tolist(),
            "status": [STATUS[s] for s in status],
            "energy": _finite(state.e),
            "gradient_norm": _finite(gradient_norm),
            "path_energy": [_finite(row) for row in path_energy],  # E at each save, the first particles
            "minima": minima,
        },
    }
    return Result(
        t=times.astype(float),
        x=saves,
        names=list(start.names),
        meta=meta,
        failed=status == STATUS.index("diverged"),
    )


def _iterate(state: _Particles, stepper, max_iter: int, tol: float, save_every: int):
    """The common loop: step the particles still moving, stop each by its
    gradient norm, keep the path every save_every iterations (and the end)."""
    count = len(state.x)
    iterations = np.zeros(count, dtype=np.int64)
    status = np.zeros(count, dtype=np.int8)
    finite = np.isfinite(state.g).all(axis=1)
    status[~finite] = STATUS.index("diverged")
    stops = stepper.stops  # sgd runs max_iter iterations
    if stops:
        status[finite & (np.linalg.norm(state.g, axis=1) <= tol)] = STATUS.index("converged")
    path = {0: state.x.copy()}
    for k in range(1, max_iter + 1):
        a = np.flatnonzero(status == 0)
        if not a.size:
            break
        before_x, before_g, before_e = state.x[a].copy(), state.g[a].copy(), state.e[a].copy()
        found = stepper.step(state, a, k)
        iterations[a] = k
        ok = np.isfinite(state.x[a]).all(axis=1) & np.isfinite(state.g[a]).all(axis=1)
        bad = a[~ok]
        state.x[bad], state.g[bad], state.e[bad] = before_x[~ok], before_g[~ok], before_e[~ok]  # frozen where finite
        status[bad] = STATUS.index("diverged")
        status[a[ok & ~found]] = STATUS.index("line_search")
        moving = a[ok & found]
        if stops:
            status[moving[np.linalg.norm(state.g[moving], axis=1) <= tol]] = STATUS.index("converged")
        if k % save_every == 0:
            path[k] = state.x.copy()
    status[status == 0] = STATUS.index("max_iter")
    path[int(iterations.max(initial=0))] = state.x.copy()  # where each particle stopped
    return path, iterations, status


def group_minima(problem: Objective, x, e, gradient_norm, iterations, status, tol: float, hessian: bool) -> list:
    """The distinct end points, lowest energy first: a particle joins the
    first group whose point is within tol·(1 + |x*|) of its own. Each with
    its particles, energy, gradient norm, iterations, and, with `hessian`,
    the eigenvalues (ascending), the kind (minimum, saddle, flat) and the
    Laplace approximation N(x*, T·H⁻¹) with log Z ≈ −E/T + (n/2) log 2πT − ½ log det H."""
    usable = np.flatnonzero(status != STATUS.index("diverged"))
    groups: list[list[int]] = []
    for i in usable[np.argsort(e[usable], kind="stable")]:
        for members in groups:
            centre = x[members[0]]
            if np.linalg.norm(x[i] - centre) <= tol * (1.0 + np.linalg.norm(centre)):
                members.append(int(i))
                break
        else:
            groups.append([int(i)])
    minima = []
    for members in groups:
        best = members[0]
        found = {
            "x": x[best].tolist(),
            "energy": float(e[best]),
            "gradient_norm": float(gradient_norm[best]),
            "particles": members,
            "count": len(members),
            "iterations": [int(iterations[members].min()), int(iterations[members].max())],
            "converged": bool((status[members] == STATUS.index("converged")).all()),
        }
        if hessian:
            found.update(_curvature(problem, x[best], e[best]))
        minima.append(found)
    return minima


def _curvature(problem: Objective, x: np.ndarray, e: float) -> dict:
    matrix = problem.hessian(x[None, :])[0]
    values = np.linalg.eigvalsh(matrix)
    scale = max(np.abs(values).max(), 1e-300)
    flat = np.abs(values) <= 1e-9 * scale
    kind = "minimum" if (values > 0).all() and not flat.any() else "saddle" if (values < 0).any() else "flat"
    found = {"eigenvalues": values.tolist(), "kind": kind}
    if kind == "minimum":
        n, temperature = len(x), problem.temperature
        _, log_det = np.linalg.slogdet(matrix)
        if temperature > 0:
            found["laplace_log_evidence"] = float(
                -e / temperature + n / 2 * math.log(2 * math.pi * temperature) - log_det / 2
            )
        if n <= LAPLACE_MAX:
            found["laplace_covariance"] = (temperature * np.linalg.inv(matrix)).tolist()
    return found


def _hessian_kind(problem: Objective, hessian: bool) -> str:
    if not hessian:
        return "not computed"
    return "derived" if problem.hessian_exact else "central differences of the exact gradient"


def _finite(values: np.ndarray) -> list:
    return [float(v) if np.isfinite(v) else None for v in values]


def _check(method, particles, max_iter, tol, lr, momentum, memory, save_every, group_tol) -> None:
    if method not in METHODS:
        raise RunError(f"unknown optimizer '{method}'", hint=f"the optimizers are: {', '.join(METHODS)}")
    if method in NEEDS_LR and lr is None:
        raise RunError(f"{method} needs a step size: --lr (about 1/L, L the largest curvature of E)")
    for name, value in (("particles", particles), ("max-iter", max_iter), ("memory", memory)):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise RunError(f"--{name} must be a whole number ≥ 1, not {value!r}")
    if save_every is not None and (not isinstance(save_every, (int, np.integer)) or save_every < 1):
        raise RunError(f"--save-every must be a whole number ≥ 1, not {save_every!r}")
    for name, value in (("tol", tol), ("lr", lr), ("group-tol", group_tol)):
        if value is not None and not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
            raise RunError(f"--{name} must be a positive number, not {value!r}")
    if momentum is not None and not (isinstance(momentum, (int, float)) and 0 <= momentum < 1):
        raise RunError(f"--momentum must be a number in [0, 1), not {momentum!r}")


def report(result: Result) -> str:
    """The minima of an optimize result as text."""
    info = result.meta["optimize"]
    status = info["status"]
    counts = {name: status.count(name) for name in STATUS[1:] if status.count(name)}
    lines = [
        f"{result.meta['model']}: {info['method']}, {result.meta['particles']} start(s), "
        f"‖∇E‖ ≤ {info['tol']:g} within {info['max_iter']} iterations ({info['seconds']:.3g} s)",
        "  " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items()),
        f"  Hessian: {info['hessian']}; T = {info['temperature']:g}",
    ]
    width = max(len(name) for name in result.names)
    shown = 24
    for k, found in enumerate(info["minima"]):
        kind = found.get("kind", "end point")
        lines.append(
            f"{kind} {k + 1}: E = {found['energy']:.10g}, ‖∇E‖ = {found['gradient_norm']:.3g}, "
            f"{found['count']} particle(s), iterations {found['iterations'][0]}–{found['iterations'][1]}"
        )
        covariance = found.get("laplace_covariance")
        for j, name in enumerate(result.names[:shown]):
            sd = f"   Laplace sd {math.sqrt(max(covariance[j][j], 0.0)):.4g}" if covariance else ""
            lines.append(f"  {name:<{width}}  {found['x'][j]:+.8g}{sd}")
        if len(result.names) > shown:
            lines.append(f"  … {len(result.names) - shown} more (--out keeps them all)")
        if "eigenvalues" in found:
            values = found["eigenvalues"]
            text = ", ".join(f"{v:.4g}" for v in values[:8]) + (", …" if len(values) > 8 else "")
            lines.append(f"  Hessian eigenvalues {text}")
        if "laplace_log_evidence" in found:
            lines.append(f"  Laplace log Z ≈ {found['laplace_log_evidence']:.6g}")
    return "\n".join(lines)
