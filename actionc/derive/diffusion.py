"""Diffusion models: the density p_t that a linear forward SDE makes of a
Gaussian-mixture data distribution, in closed form, and its score.

For dx_i = a_i(t) x_i dt + Σ_k G_ik(t) dW_k (linear drift, noise free of
the state), x_t = α(t) ∘ x_0 + ξ_t with α_i = exp(∫_0^t a_i) and ξ_t a
Gaussian of covariance N_ij(t) = α_i α_j ∫_0^t D_ij(s) / (α_i α_j)(s) ds,
D = G Gᵀ (Särkkä & Solin, Applied SDEs, §6.1). A data mixture Σ w_k N(μ_k, Σ_k)
becomes

    p_t = Σ w_k N(α ∘ μ_k, A Σ_k A + N(t)),   A = diag(α),

and its score is Σ r_k(x) u_k(x) with u_k = −C_k⁻¹ (x − m_k) and r_k the
responsibilities. The presets (actionc.forward) give α and N directly; a
linear SDE written as equations is integrated by SymPy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy

from actionc import symbols
from actionc.forward import PRESETS
from actionc.forward import settings as forward_settings
from actionc.functions import Largest
from actionc.model import Model

SYMBOLIC_INVERSE_MAX = 3  # full covariances beyond this many dimensions: numbers and isotropic noise only


@dataclass(frozen=True)
class Marginal:
    """x_t = α(t) ∘ x_0 + ξ_t, ξ_t ~ N(0, N(t))."""

    scale: tuple[sympy.Expr, ...]
    noise: sympy.Matrix


@dataclass(frozen=True)
class Gaussian:
    """One component of p_t: weight (normalized), mean, covariance, and the
    inverse covariance and log-determinant (in closed form)."""

    weight: sympy.Expr
    mean: sympy.Matrix
    cov: sympy.Matrix
    precision: sympy.Matrix
    log_det: sympy.Expr


def is_diffusion(model: Model) -> bool:
    return bool(model.data)


def horizon(model: Model) -> sympy.Expr:
    return model.horizon if model.horizon is not None else sympy.Integer(1)


def marginal(model: Model) -> Marginal:
    """α(t) and N(t) of the model's linear forward SDE, or a ModelError
    saying why it is not linear or not integrable in closed form."""
    t = symbols.time
    n = len(model.state)
    if model.forward is not None:
        name, settings = model.forward
        preset = PRESETS[name]
        values = forward_settings(preset, settings)
        nu = preset.variance(t, values)
        return Marginal((preset.scale(t, values),) * n, sympy.eye(n) * nu)
    s = sympy.Dummy("s", real=True)
    rates = []
    for x, f in zip(model.state, model.drift):
        rate = sympy.diff(f, x)
        if rate.free_symbols & set(model.state) or sympy.simplify(f - rate * x) != 0:
            raise model.error(
                f"the forward SDE of a diffusion model must be linear, dx = a(t) x dt + g(t) dW; d{x.name} is not",
                at=f"sde {x.name}",
                hint="or use a preset: 'forward vp', 'forward subvp', 'forward ve'",
            )
        rates.append(rate)
    G = sympy.Matrix(model.diffusion)
    if G.free_symbols & set(model.state):
        raise model.error(
            "the noise of a diffusion model's forward SDE must not depend on the state",
            at=f"sde {model.state[0].name}",
            hint="write dx = a(t) x dt + g(t) dW",
        )
    scale = tuple(_integrated(sympy.exp(sympy.integrate(a.subs(t, s), (s, 0, t), conds="none")), model) for a in rates)
    D = G * G.T
    noise = sympy.zeros(n, n)
    for i in range(n):
        for j in range(n):
            if D[i, j] != 0:
                integrand = (D[i, j] / (scale[i] * scale[j])).subs(t, s)
                noise[i, j] = _integrated(
                    scale[i] * scale[j] * sympy.integrate(integrand, (s, 0, t), conds="none"), model
                )
    return Marginal(scale, noise)


def _integrated(value: sympy.Expr, model: Model) -> sympy.Expr:
    if value.has(sympy.Integral):
        raise model.error(
            "SymPy cannot integrate this forward SDE's mean or variance in closed form",
            at=f"sde {model.state[0].name}",
            hint="use a preset ('forward vp', 'forward subvp', 'forward ve') or simpler coefficients",
        )
    return sympy.simplify(value)


def components(model: Model) -> list[Gaussian]:
    """The Gaussians of p_t, functions of the time symbol t. Integrating
    the forward SDE is the costly part: compute them once and pass them on."""
    marg = marginal(model)
    A = sympy.diag(*marg.scale)
    total = sum((c.weight for c in model.data), sympy.Integer(0))
    gaussians = []
    for index, c in enumerate(model.data, start=1):
        mean = A * sympy.Matrix(c.mean)
        cov = A * sympy.Matrix(c.cov) * A + marg.noise
        precision, log_det = _inverse(cov, sympy.Matrix(c.cov), marg, model, index)
        gaussians.append(Gaussian(c.weight / total, mean, cov, precision, log_det))
    return gaussians


def at_time(gaussians: list[Gaussian], time: sympy.Expr) -> list[Gaussian]:
    """The same Gaussians with t replaced by `time`."""
    t = symbols.time
    return [
        Gaussian(
            g.weight, g.mean.subs(t, time), g.cov.subs(t, time), g.precision.subs(t, time), g.log_det.subs(t, time)
        )
        for g in gaussians
    ]


def _inverse(cov: sympy.Matrix, data_cov: sympy.Matrix, marg: Marginal, model: Model, index: int):
    n = cov.shape[0]
    if cov.is_diagonal():
        return sympy.diag(*[1 / cov[i, i] for i in range(n)]), sum((sympy.log(cov[i, i]) for i in range(n)), 0)
    if n <= SYMBOLIC_INVERSE_MAX:
        det = sympy.factor_terms(cov.det())
        return cov.adjugate() / det, sympy.log(det)
    isotropic = len(set(marg.scale)) == 1 and marg.noise.is_diagonal() and len(set(marg.noise.diagonal())) == 1
    if not isotropic or data_cov.free_symbols:
        raise model.error(
            f"a full covariance in {n} dimensions needs numbers (not parameters) and the same noise on every variable",
            at=f"data {index}",
            hint="use a preset forward SDE and numeric covariances, or diagonal covariances ('std = [...]')",
        )
    # A Σ A + ν I = Q diag(α² λ + ν) Qᵀ for Σ = Q diag(λ) Qᵀ
    values, vectors = np.linalg.eigh(np.array(data_cov.tolist(), dtype=float))
    alpha, nu = marg.scale[0], marg.noise[0, 0]
    Q = sympy.Matrix(vectors.tolist())
    spectrum = [alpha**2 * sympy.Float(v) + nu for v in values]
    return Q * sympy.diag(*[1 / v for v in spectrum]) * Q.T, sum((sympy.log(v) for v in spectrum), 0)


def log_component(g: Gaussian, state) -> sympy.Expr:
    """log(w N(x; m, C)), normalized."""
    delta = sympy.Matrix(state) - g.mean
    n = len(state)
    quadratic = (delta.T * g.precision * delta)[0]
    return sympy.log(g.weight) - g.log_det / 2 - quadratic / 2 - n * sympy.log(2 * sympy.pi) / 2


def density(model: Model) -> sympy.Expr:
    """p_t(x): given (`density = …`), or the mixture the data becomes."""
    if model.density is not None:
        return model.density
    return sum((sympy.exp(log_component(g, model.state)) for g in components(model)), sympy.Integer(0))


def log_density(model: Model) -> sympy.Expr:
    if model.density is not None:
        return sympy.log(model.density)
    return sympy.log(density(model))


@dataclass(frozen=True)
class StableScore:
    """The score of a mixture written for evaluation: responsibilities
    through a log-sum-exp that never overflows, and the divergence of the
    probability flow's score term in closed form (tr(D ∇s))."""

    score: tuple[sympy.Expr, ...]
    log_density: sympy.Expr


def _responsibilities(gaussians: list[Gaussian], state):
    """Per component: log(w_k N_k), the direction u_k = −C_k⁻¹(x − m_k) and
    the unnormalized responsibility exp(log(w_k N_k) − max); and the max and
    the sum of the responsibilities. The max is an unevaluated Largest."""
    x = sympy.Matrix(state)
    logs = [log_component(g, state) for g in gaussians]
    directions = [-(g.precision * (x - g.mean)) for g in gaussians]
    top = Largest(*logs)
    shifted = [sympy.exp(value - top) for value in logs]
    return logs, directions, shifted, top, sum(shifted, sympy.Integer(0))


def stable_score(gaussians: list[Gaussian], state) -> StableScore:
    logs, directions, shifted, top, total = _responsibilities(gaussians, state)
    if len(gaussians) == 1:
        return StableScore(tuple(directions[0]), logs[0])
    score = sum((r * u for r, u in zip(shifted, directions)), sympy.zeros(len(state), 1)) / total
    return StableScore(tuple(score), top + sympy.log(total))


def score_divergence(gaussians: list[Gaussian], state, D: sympy.Matrix) -> sympy.Expr:
    """tr(D ∇s) for the mixture score s = Σ r_k u_k, D free of x:
    Σ r_k [−tr(D C_k⁻¹) + (u_k − s)ᵀ D u_k], with stable responsibilities."""
    terms = [-(D * g.precision).trace() for g in gaussians]
    if len(gaussians) == 1:
        return terms[0]
    _, directions, shifted, _, total = _responsibilities(gaussians, state)
    s = sum((r * u for r, u in zip(shifted, directions)), sympy.zeros(len(state), 1)) / total
    return (
        sum((r * (term + ((u - s).T * D * u)[0]) for r, term, u in zip(shifted, terms, directions)), sympy.Integer(0))
        / total
    )
