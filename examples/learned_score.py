"""Train a small score network by denoising score matching, in NumPy, on
2-D data (eight Gaussians on a ring), then sample it with actionc's
compiled samplers through a Numba version of the network.

    python examples/learned_score.py

Denoising score matching (Vincent 2011; Song et al. 2021): for
x_t = α(t) x_0 + σ(t) z under the VP forward SDE, the network ε(x_t, t)
learns E[z | x_t], and the score is −ε/σ. The samplers (actionc.sample)
take any Numba function score(x, t, out).
"""

from pathlib import Path

import numba
import numpy as np

import actionc

HERE = Path(__file__).parent
BETA_MIN, BETA_MAX = 0.1, 20.0  # as in vp_prior.act
HIDDEN = 64


def integrated_beta(t):
    return BETA_MIN * t + (BETA_MAX - BETA_MIN) * t**2 / 2


def data(size, rng):
    angles = rng.integers(0, 8, size) * np.pi / 4
    return 4 * np.stack([np.cos(angles), np.sin(angles)], axis=1) + 0.3 * rng.standard_normal((size, 2))


def features(x, t):
    """The network's input: the point, and the time as a few Fourier features."""
    return np.concatenate([x, np.stack([t, np.sin(np.pi * t), np.cos(np.pi * t)], axis=1)], axis=1)


def train(steps=12000, batch=512, seed=0):
    rng = np.random.default_rng(seed)
    sizes = [5, HIDDEN, HIDDEN, 2]
    weights = [rng.standard_normal((a, b)) * np.sqrt(1 / a) for a, b in zip(sizes[:-1], sizes[1:])]
    biases = [np.zeros(b) for b in sizes[1:]]
    params = weights + biases
    moments = [np.zeros_like(p) for p in params]
    squares = [np.zeros_like(p) for p in params]
    for step in range(1, steps + 1):
        x0 = data(batch, rng)
        t = rng.uniform(1e-3, 1.0, batch)
        alpha = np.exp(-integrated_beta(t) / 2)[:, None]
        sigma = np.sqrt(1 - alpha**2)
        z = rng.standard_normal((batch, 2))
        h0 = features(alpha * x0 + sigma * z, t)
        a1 = np.tanh(h0 @ weights[0] + biases[0])
        a2 = np.tanh(a1 @ weights[1] + biases[1])
        out = a2 @ weights[2] + biases[2]
        g_out = 2 * (out - z) / batch  # ∂/∂out of mean ‖ε − z‖²
        g2 = (g_out @ weights[2].T) * (1 - a2**2)
        g1 = (g2 @ weights[1].T) * (1 - a1**2)
        grads = [h0.T @ g1, a1.T @ g2, a2.T @ g_out, g1.sum(0), g2.sum(0), g_out.sum(0)]
        rate = 3e-3 * min(1.0, 2 * (1 - step / steps))
        for p, g, m, v in zip(params, grads, moments, squares):  # Adam
            m *= 0.9
            m += 0.1 * g
            v *= 0.999
            v += 0.001 * g * g
            p -= rate * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
        if step % 3000 == 0:
            print(f"  step {step}: loss {np.mean(np.sum((out - z) ** 2, axis=1)):.4f}")
    return params


print("training a score network (denoising score matching, NumPy):")
W0, W1, W2, b0, b1, b2 = train()


@numba.njit
def dense(weights, bias, inputs):
    """tanh-free affine layer, written out (Numba's @ needs SciPy's BLAS)."""
    out = bias.copy()
    for i in range(weights.shape[0]):
        for j in range(weights.shape[1]):
            out[j] += inputs[i] * weights[i, j]
    return out


@numba.njit
def score(x, t, out):
    """−ε(x, t)/σ(t), the trained network in Numba (weights are constants)."""
    h = np.array([x[0], x[1], t, np.sin(np.pi * t), np.cos(np.pi * t)])
    a1 = np.tanh(dense(W0, b0, h))
    a2 = np.tanh(dense(W1, b1, a1))
    eps = dense(W2, b2, a2)
    sigma = np.sqrt(1.0 - np.exp(-(BETA_MIN * t + (BETA_MAX - BETA_MIN) * t * t / 2)))
    out[0] = -eps[0] / max(sigma, 1e-3)
    out[1] = -eps[1] / max(sigma, 1e-3)


for method in ("reverse-em", "pf-rk4"):
    result = actionc.sample(HERE / "vp_prior.act", score, method=method, steps=500, particles=4000, seed=1)
    x = result.x[-1]
    radius = np.linalg.norm(x, axis=1)
    sector = np.round(np.arctan2(x[:, 1], x[:, 0]) / (np.pi / 4)).astype(int) % 8
    print(
        f"{method}: radius {np.median(radius):.2f} (data 4.0), spread {np.median(np.abs(radius - 4)):.2f} "
        f"(data 0.20), per sector {np.round(np.bincount(sector, minlength=8) / len(x), 2)} (data 0.125 each)"
    )
