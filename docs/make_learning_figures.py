"""The figures of docs/learning.md: loss curves of the optimizers on the
logistic regression, and the VI ellipses against MALA's draws.

    python docs/make_learning_figures.py        (about two minutes)

Writes docs/gallery/learning_loss.png and docs/gallery/learning_vi.png and
prints the numbers the page quotes.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import actionc  # noqa: E402

HERE = Path(__file__).parent
MODEL = HERE.parent / "examples" / "logistic_regression.act"


def loss_curves(compiled) -> None:
    best = compiled.optimize("newton", tol=1e-10, hessian=False).meta["optimize"]["energy"][0]
    runs = {
        "gd (line search)": compiled.optimize("gd", max_iter=3000, hessian=False),
        "momentum lr=1e-3, β=0.9": compiled.optimize("momentum", lr=1e-3, momentum=0.9, max_iter=3000, hessian=False),
        "nesterov lr=1e-3": compiled.optimize("nesterov", lr=1e-3, max_iter=3000, hessian=False),
        "adam lr=0.05": compiled.optimize("adam", lr=0.05, max_iter=3000, hessian=False),
        "sgd lr=1e-3, batch 32": compiled.optimize("sgd", lr=1e-3, batch=32, max_iter=3000, hessian=False),
        "lbfgs": compiled.optimize("lbfgs", hessian=False),
        "newton": compiled.optimize("newton", hessian=False),
    }
    figure, axis = plt.subplots(figsize=(7, 4.6))
    for label, result in runs.items():
        energy = np.array(result.meta["optimize"]["path_energy"])[:, 0]
        axis.semilogy(np.maximum(result.t, 0.8), np.maximum(energy - best, 1e-14), label=label, lw=1.2)
        info = result.meta["optimize"]
        print(
            f"{label:26} {info['iterations'][0]:5d} iterations, E − E* = {energy[-1] - best:.2e}, "
            f"|∇E| = {info['gradient_norm'][0]:.2e}"
        )
    axis.set_xscale("log")
    axis.set_xlabel("iteration")
    axis.set_ylabel("E − E*")
    axis.set_title("logistic regression (569 rows, 31 weights): the optimizers from w = 0")
    axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(HERE / "gallery" / "learning_loss.png", dpi=110)


def ellipse(axis, mean, covariance, **style) -> None:
    angles = np.linspace(0, 2 * np.pi, 200)
    values, vectors = np.linalg.eigh(covariance)
    circle = np.stack([np.cos(angles), np.sin(angles)])
    points = mean[:, None] + 2 * vectors @ (np.sqrt(values)[:, None] * circle)  # 2 sd
    axis.plot(points[0], points[1], **style)


def vi_against_mcmc(compiled) -> None:
    mala = compiled.run(dt=0.002, steps=100_000, particles=8, save_every=20, seed=1)
    draws = mala.x[len(mala.x) // 10 :].reshape(-1, mala.x.shape[2])
    full = compiled.vi("gaussian", tol=1e-6).meta["vi"]
    diagonal = compiled.vi("diagonal", tol=1e-6).meta["vi"]
    laplace = compiled.optimize("newton").meta["optimize"]["minima"][0]
    pairs = [("w[22]", "w[8]"), ("w[21]", "w[24]")]
    figure, axes = plt.subplots(1, 2, figsize=(10, 4.6))
    for axis, (a, b) in zip(axes, pairs):
        i, j = mala.names.index(a), mala.names.index(b)
        axis.scatter(draws[::10, i], draws[::10, j], s=2, alpha=0.25, color="0.5", label="MALA draws")
        pick = np.ix_([i, j], [i, j])
        ellipse(axis, np.array(full["mu"])[[i, j]], np.array(full["sigma"])[pick], color="C0", label="VI, gaussian")
        ellipse(
            axis, np.array(diagonal["mu"])[[i, j]], np.array(diagonal["sigma"])[pick], color="C3", label="VI, diagonal"
        )
        ellipse(
            axis,
            np.array(laplace["x"])[[i, j]],
            np.array(laplace["laplace_covariance"])[pick],
            color="C2",
            ls="--",
            label="Laplace",
        )
        axis.set_xlabel(a)
        axis.set_ylabel(b)
    axes[0].legend(fontsize=8, loc="upper left")
    figure.suptitle("2-sd ellipses against the posterior (MALA, 8 chains × 10⁵ steps)")
    figure.tight_layout()
    figure.savefig(HERE / "gallery" / "learning_vi.png", dpi=110)
    sd = draws.std(axis=0)
    for name, info in (("gaussian", full), ("diagonal", diagonal)):
        ratio = np.array(info["sd"]) / sd
        gap = np.abs(np.array(info["mu"]) - draws.mean(axis=0)) / sd
        print(
            f"VI {name}: sd / MALA sd {ratio.min():.2f}–{ratio.max():.2f} (median {np.median(ratio):.2f}), "
            f"|mean − MALA mean| ≤ {gap.max():.2f} sd, {info['steps']} steps, {info['seconds']:.1f} s"
        )


def main() -> None:
    compiled = actionc.compile(MODEL, "mala")
    loss_curves(compiled)
    vi_against_mcmc(compiled)


if __name__ == "__main__":
    main()
