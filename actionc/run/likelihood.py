"""Exact log-likelihoods through the probability-flow ODE (Chen et al.,
Neural ODEs, 2018; Song et al., ICLR 2021, App. D.2): carried by the flow
dx/ds = v(x, s) from s = 0 to T, a point's density changes as
d log p_s(x_s)/ds = −∇·v, so

    log p_0(x_0) = log p_T(x_T) + ∫_0^T ∇·v(x_s, s) ds,

integrated with dopri5 at tight tolerances, p_T known in closed form.
"""

from __future__ import annotations

import numpy as np

from actionc.errors import RunError
from actionc.run.compiled import Compiled


def log_likelihood_with(
    compiled: Compiled, points, *, params=None, rtol: float = 1e-10, atol: float = 1e-12, threads=None
):
    """log p_0 of each row of `points` (points × state) under the model's
    data distribution, through its probability flow: `compiled` is the
    model's "likelihood" kernel (actionc.pipeline.log_likelihood)."""
    names = compiled.names[:-1]  # the last state variable is the integrated divergence
    points = np.atleast_2d(np.asarray(points, float))
    if points.ndim != 2 or points.shape[1] != len(names):
        raise RunError(
            f"points must be an array (points × {len(names)}), one column per state variable ({', '.join(names)}); "
            f"got shape {np.shape(points)}"
        )
    if not np.isfinite(points).all():
        raise RunError("the points must be finite")
    params = dict(params or {})
    horizon = compiled.horizon(**params)
    init = {name: points[:, k] for k, name in enumerate(names)}
    result = compiled.run(
        dt=horizon,
        steps=1,
        particles=len(points),
        init={**init, compiled.names[-1]: 0.0},
        params=params,
        rtol=rtol,
        atol=atol,
        threads=threads,
        invariants=False,
    )
    if result.diverged:
        raise RunError(f"the probability flow failed for {result.diverged} point(s)", hint="loosen rtol and atol")
    end = result.x[-1]
    return compiled.function("log_density")(end, t=horizon, **params) + end[:, -1]
