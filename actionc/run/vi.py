"""Variational inference as a gradient flow: the Gaussian q = N(μ, Σ)
nearest to p ∝ exp(−E/T) in KL(q ‖ p), found by following the
Bures–Wasserstein gradient flow of the KL (Lambert, Chewi, Bach, Bonnabel &
Rigollet 2022), with V = E/T:

    μ' = −E_q[∇V],    Σ' = 2I − E_q[∇²V] Σ − Σ E_q[∇²V]

stepped by forward Euler, whose fixed points are exactly the flow's
(E_q[∇V] = 0, Σ = E_q[∇²V]⁻¹ in its symmetric form), with the step
h = lr / λ_max(E_q[∇²V]) re-chosen at every step so that Σ stays positive
definite and μ's step stable. `diagonal` keeps Σ diagonal: the same flow with only the diagonal
of E_q[∇²V] (the mean-field family).

Expectations are over a fixed set of 2n sigma points μ ± √n L e_i
(L Lᵀ = Σ, weights 1/2n; Julier & Uhlmann's unscented rule), not
reparametrized samples: the flow is then deterministic, each step is one
call of the compiled gradient over 2n points (as particles), and the rule is
exact for E_q[∇V] when ∇V is a polynomial of degree ≤ 3 — so on a Gaussian
target μ and Σ converge to the exact answer, to round-off. E_q[∇²V] needs
no Hessian: by Stein's lemma it is Σ⁻¹ E_q[(x − μ) ∇V(x)ᵀ], which the same
points give (exact for quadratic V). The ELBO, E_q[−V] + ½ log det(2πeΣ)
(up to log Z), uses the same rule for E_q[V]; it increases along the flow
up to the rule's error. Non-Gaussian targets are approximated to the
rule's degree: for skewed posteriors more points (not implemented) would
be the remedy.
"""

from __future__ import annotations

import math
import time

import numpy as np

from actionc.errors import RunError
from actionc.run.evaluate import objective
from actionc.run.result import Result

FAMILIES = ("gaussian", "diagonal")
COVARIANCE_MAX = 200  # state entries up to which Σ is kept in the meta


def _sigma_points(mu: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """μ ± √n L e_i: the 2n points, as rows."""
    n = len(mu)
    offsets = math.sqrt(n) * factor.T  # row i: √n L e_i
    return np.concatenate([mu + offsets, mu - offsets])


def _moments(problem, mu: np.ndarray, sigma: np.ndarray, energy: bool):
    """E_q[∇V], E_q[∇²V] (Stein: Σ⁻¹ E_q[(x − μ)∇Vᵀ], symmetrized) and
    E_q[V] (if `energy`) by the sigma points; V = E/T."""
    factor = np.linalg.cholesky(sigma)
    points = _sigma_points(mu, factor)
    scale = 1.0 / problem.temperature
    gradients = scale * problem.gradient(points)
    n = len(mu)
    mean_gradient = gradients.mean(axis=0)
    difference = (gradients[:n] - gradients[n:]) / (2 * math.sqrt(n))  # row i: (∇V(μ + a_i) − ∇V(μ − a_i))/2√n
    # Σ⁻¹ · (1/2n) Σ_i a_i (g_i+ − g_i−)ᵀ with a_i = √n L e_i is L⁻ᵀ · difference
    hessian = np.linalg.solve(factor.T, difference)
    hessian = (hessian + hessian.T) / 2
    mean_energy = scale * problem.energy(points).mean() if energy else math.nan
    return mean_gradient, hessian, mean_energy


def _elbo(mean_energy: float, sigma: np.ndarray) -> float:
    """E_q[−V] + H(q), H(q) = ½ log det(2πe Σ): the ELBO up to log Z."""
    n = len(sigma)
    return -mean_energy + 0.5 * (np.linalg.slogdet(sigma)[1] + n * math.log(2 * math.pi * math.e))


def vi(
    compiled,
    family: str = "gaussian",
    *,
    seed: int = 0,
    params=None,
    init=None,
    inputs=None,
    start: str = "laplace",
    max_steps: int = 100_000,
    tol: float = 1e-8,
    lr: float = 0.2,
    save_every: int | None = None,
) -> Result:
    """Fit q = N(μ, Σ) to exp(−E/T) by the Bures–Wasserstein flow (module
    doc). start: "laplace" (μ at the minimum lbfgs finds from the model's
    init, Σ = T·H⁻¹ there) or "init" (μ from the init, Σ = I). Stops when
    |μ'| and |Σ'| (Frobenius) are ≤ tol, or after max_steps. lr: the
    step as a fraction of 1/λ_max(E_q[∇²V]). The result's x is μ along the
    flow (one particle); meta["vi"] has μ, Σ, the ELBO at each save, and,
    on a Gaussian target, the KL(q ‖ p) at the end."""
    if family not in FAMILIES:
        raise RunError(f"unknown family '{family}'", hint=f"the families are: {', '.join(FAMILIES)}")
    if start not in ("laplace", "init"):
        raise RunError(f"unknown start '{start}'", hint="laplace or init")
    if not (isinstance(lr, (int, float)) and 0 < lr <= 1):
        raise RunError(f"--lr of vi is a fraction of the stable step, in (0, 1], not {lr!r}")
    if not (isinstance(tol, (int, float)) and tol > 0):
        raise RunError(f"--tol must be a positive number, not {tol!r}")
    if not isinstance(max_steps, (int, np.integer)) or max_steps < 1:
        raise RunError(f"--max-steps must be a whole number ≥ 1, not {max_steps!r}")
    first = compiled.run(dt=1.0, steps=0, seed=seed, params=params, init=init, inputs=inputs, invariants=False)
    data = compiled.data(inputs)[0] if compiled.meta.inputs else None
    problem = objective(compiled, first.meta["params"], data, first.names)
    if problem.temperature <= 0:
        raise RunError("vi needs a temperature above 0: exp(−E/T) is no density at T = 0")
    n = problem.n
    if start == "laplace":
        found = compiled.optimize("lbfgs", seed=seed, params=params, init=init, inputs=inputs, save_every=10**9)
        (mu,), minimum = found.x[-1], found.meta["optimize"]["minima"][0]
        if minimum.get("kind") != "minimum":
            raise RunError(
                "the start found by lbfgs is not a minimum (its Hessian is not positive definite)",
                hint="start='init' (--start init)",
            )
        curvature = problem.hessian(mu[None, :])[0]
        # the family's own Laplace point: T·H⁻¹, or T/H_ii for the mean field
        sigma = problem.temperature * (
            np.linalg.inv(curvature) if family == "gaussian" else np.diag(1 / np.diag(curvature))
        )
    else:
        mu, sigma = first.x[0, 0].copy(), np.eye(n)
    save_every = save_every or max(1, max_steps // 1000)
    began = time.perf_counter()
    path, elbo, steps, converged = {0: mu.copy()}, {}, 0, False
    for step in range(max_steps + 1):
        record = step % save_every == 0
        with np.errstate(over="ignore", invalid="ignore"):
            g, h, mean_energy = _moments(problem, mu, sigma, record)
        if not (np.isfinite(g).all() and np.isfinite(h).all()):
            raise RunError(f"the flow left the finite values at step {step}", hint="a smaller --lr")
        largest = np.linalg.eigvalsh(h)[-1]  # of the whole E_q[∇²V]: μ's Euler step needs it in both families
        if family == "diagonal":
            h = np.diag(np.diag(h))
        rate_sigma = 2 * np.eye(n) - h @ sigma - sigma @ h
        if record:
            path[step], elbo[step] = mu.copy(), _elbo(mean_energy, sigma)
        if np.linalg.norm(g) <= tol and np.linalg.norm(rate_sigma) <= tol:
            converged = True
            break
        if step == max_steps:
            break
        dt = lr / max(largest, 1e-300)  # Σ + dt(2I − HΣ − ΣH) stays positive definite for dt ≤ 1/λ_max(H)
        mu = mu - dt * g
        sigma = sigma + dt * rate_sigma
        sigma = (sigma + sigma.T) / 2
        steps = step + 1
    seconds = time.perf_counter() - began
    _, _, mean_energy = _moments(problem, mu, sigma, True)
    path[steps], elbo[steps] = mu.copy(), _elbo(mean_energy, sigma)
    times = sorted(path)
    info = {
        "family": family,
        "start": start,
        "steps": steps,
        "converged": converged,
        "seconds": seconds,
        "temperature": problem.temperature,
        "expectations": f"{2 * n} sigma points μ ± √n L e_i",
        "mu": mu.tolist(),
        "sd": np.sqrt(np.diag(sigma)).tolist(),
        "elbo": [elbo[k] for k in times],
        "elbo_steps": times,
    }
    if n <= COVARIANCE_MAX:
        info["sigma"] = sigma.tolist()
    target = _gaussian_target(problem, mu, sigma)
    if target is not None:
        info["kl_to_target"] = target
    meta = {
        "model": compiled.meta.model,
        "model_hash": compiled.model_hash,
        "kind": compiled.meta.kind.value,
        "command": "vi",
        "method": f"vi-{family}",
        "dt": 1.0,
        "steps": steps,
        "save_every": save_every,
        "particles": 1,
        "seed": int(seed),
        "params": first.meta["params"],
        "diverged": 0,
        "failures": [],
        "stats": {},
        "complete": True,
        "source": compiled.model_source,
        "vi": info,
    }
    return Result(
        t=np.array(times, dtype=float),
        x=np.stack([path[k] for k in times])[:, None, :],
        names=list(first.names),
        meta=meta,
    )


def _gaussian_target(problem, mu, sigma) -> float | None:
    """KL(q ‖ p) when p is Gaussian: its Hessian the same at μ and at the
    sigma points (scalar models, whose Hessian is derived). p = N(m, P⁻¹)
    with P = H/T and m = μ − P⁻¹ E_q... found from ∇V(μ) = P(μ − m)."""
    if not problem.hessian_exact:
        return None
    points = np.concatenate([mu[None, :], _sigma_points(mu, np.linalg.cholesky(sigma))])
    hessians = problem.hessian(points) / problem.temperature
    if not np.allclose(hessians, hessians[0], rtol=1e-9, atol=1e-12 * np.abs(hessians[0]).max()):
        return None
    precision = hessians[0]
    m = mu - np.linalg.solve(precision, problem.gradient(mu[None, :])[0] / problem.temperature)
    n, product = len(mu), precision @ sigma
    gap = m - mu
    return float(0.5 * (np.trace(product) - n + gap @ precision @ gap - np.linalg.slogdet(product)[1]))


def report(result: Result) -> str:
    info = result.meta["vi"]
    lines = [
        f"{result.meta['model']}: vi, family {info['family']} (start: {info['start']}), {info['steps']} steps, "
        + ("converged" if info["converged"] else "not converged: more --max-steps")
        + f" ({info['seconds']:.3g} s); expectations over {info['expectations']}",
        f"  ELBO (up to log Z) {info['elbo'][0]:.8g} at the start, {info['elbo'][-1]:.8g} at the end",
    ]
    if "kl_to_target" in info:
        lines.append(f"  KL(q ‖ p) = {info['kl_to_target']:.3g} (the target is Gaussian)")
    width = max(len(name) for name in result.names)
    for name, mean, sd in list(zip(result.names, info["mu"], info["sd"]))[:24]:
        lines.append(f"  {name:<{width}}  mean {mean:+.8g}   sd {sd:.6g}")
    if len(result.names) > 24:
        lines.append(f"  … {len(result.names) - 24} more (--out keeps them all)")
    return "\n".join(lines)
