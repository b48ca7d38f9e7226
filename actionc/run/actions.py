"""The action of trajectories: S = ∫ L dt for lagrangian models (trapezoid
rule over the saved states), and the Freidlin–Wentzell and Onsager–Machlup
actions of SDE paths (midpoint rule: velocity (x_{k+1} − x_k)/h, drift and
diffusion at the midpoint)."""

from __future__ import annotations

import numpy as np

from actionc.errors import RunError
from actionc.kinds import Calculus, Kind


def _params(result_params: dict, particles: int) -> dict:
    return {k: (np.asarray(v)[None, :] if isinstance(v, list) else v) for k, v in result_params.items()}


def lagrangian_action(compiled, t: np.ndarray, x: np.ndarray, params: dict | None = None) -> np.ndarray:
    """∫ L dt along x (saves × particles × state), per particle."""
    if not compiled.has("lagrangian"):
        raise RunError("this model has no Lagrangian; path actions of SDEs are 'freidlin_wentzell'")
    values = compiled.function("lagrangian")(x, t[:, None], **(params or {}))
    return np.trapezoid(values, t, axis=0)


def sde_actions(compiled, t: np.ndarray, x: np.ndarray, params: dict | None = None) -> dict[str, np.ndarray]:
    """The Freidlin–Wentzell and Onsager–Machlup actions of paths x, per particle."""
    params = params or {}
    if not all(compiled.has(name) for name in ("drift", "diffusion", "divergence")):
        raise RunError("path actions need an SDE or energy model with noise")
    drift, diffusion = compiled.function("drift"), compiled.function("diffusion")
    divergence = compiled.function("divergence")
    h = np.diff(t)[:, None]
    middle = 0.5 * (x[1:] + x[:-1])
    times = 0.5 * (t[1:] + t[:-1])[:, None]
    velocity = np.diff(x, axis=0) / h[..., None]
    if compiled.meta.calculus is Calculus.STRATONOVICH:
        drift = compiled.function("ito_drift")
    mismatch = velocity - drift(middle, times, **params)
    g = diffusion(middle, times, **params)
    tensor = g @ np.swapaxes(g, -1, -2)
    try:
        solved = np.linalg.solve(tensor, mismatch[..., None])[..., 0]
    except np.linalg.LinAlgError:
        raise RunError("the diffusion tensor g gᵀ is singular: every state variable needs noise") from None
    fw = 0.5 * np.sum(mismatch * solved, axis=-1)
    om = fw + 0.5 * divergence(middle, times, **params)
    return {"freidlin_wentzell": np.sum(fw * h, axis=0), "onsager_machlup": np.sum(om * h, axis=0)}


def actions_of(compiled, result) -> dict[str, np.ndarray]:
    """The actions of every particle's saved trajectory in a Result."""
    params = _params(result.meta["params"], result.x.shape[1])
    unknown = set(params) - set(compiled.params)
    if unknown or result.names != compiled.names:
        state, names = ", ".join(compiled.names), ", ".join(compiled.params) or "none"
        raise RunError(
            "the result's state and parameters are not this model's",
            hint=f"the model has state {state} and parameters {names}",
        )
    if compiled.meta.kind is Kind.LAGRANGIAN and compiled.has("lagrangian"):
        return {"action": lagrangian_action(compiled, result.t, result.x, params)}
    return sde_actions(compiled, result.t, result.x, params)


def geometric_action(compiled, path: np.ndarray, params: dict | None = None) -> float:
    """The Freidlin–Wentzell action of the curve `path` (points × state),
    minimized over how fast it is traversed (Heymann & Vanden-Eijnden, Comm.
    Pure Appl. Math. 61, 2008): S = ∫ |φ'|_D |f|_D − ⟨φ', f⟩_D dα with
    ⟨a, b⟩_D = aᵀ D⁻¹ b, D = g gᵀ; midpoint rule. Going down a gradient flow
    costs nothing; going up from a minimum to a saddle of E costs ΔE / T."""
    params = params or {}
    if not (compiled.has("drift") and compiled.has("diffusion")):
        raise RunError("a path action needs an SDE or energy model with noise")
    drift, diffusion = compiled.function("drift"), compiled.function("diffusion")
    if compiled.meta.calculus is Calculus.STRATONOVICH:
        drift = compiled.function("ito_drift")
    middle = 0.5 * (path[1:] + path[:-1])
    step = np.diff(path, axis=0)
    f = drift(middle, **params)
    g = diffusion(middle, **params)
    tensor = g @ np.swapaxes(g, -1, -2)
    try:
        solved_step = np.linalg.solve(tensor, step[..., None])[..., 0]
        solved_f = np.linalg.solve(tensor, f[..., None])[..., 0]
    except np.linalg.LinAlgError:
        raise RunError("the diffusion tensor g gᵀ is singular: every state variable needs noise") from None
    norm_step = np.sqrt(np.sum(step * solved_step, axis=-1))
    norm_f = np.sqrt(np.sum(f * solved_f, axis=-1))
    return float(np.sum(norm_step * norm_f - np.sum(step * solved_f, axis=-1)))
