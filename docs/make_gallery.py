"""Regenerate docs/gallery/*.png and docs/gallery.md: one picture per example,
from its default method, so the gallery never drifts from the code. Indexed
models get pictures of what they are for (docs/indexed.md): the FPUT modes'
energies, the lattice field over space and time, posterior marginals, orbits.

    python docs/make_gallery.py                 # every picture (a few minutes)
    python docs/make_gallery.py fput pleiades   # only these (and any gallery.md lacks);
                                                # gallery.md is always whole
"""

import sys
from pathlib import Path

import matplotlib
import numpy as np

import actionc
from actionc.plot import default_kind, plot

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)

ROOT = Path(__file__).parents[1]
OUT = ROOT / "docs" / "gallery"

# (dt, steps, particles, save_every, method or None, extra run options)
RUNS = {
    "pendulum": (1e-2, 1000, 6, 5, None, {"params": {"l": np.linspace(0.5, 2.0, 6)}}),
    "double_pendulum": (1e-3, 20000, 3, 20, None, {"params": {"l2": np.array([1.0, 1.0 + 1e-6, 1.0 + 2e-6])}}),
    "damped_driven_oscillator": (1e-2, 3000, 1, 5, None, {}),
    "charged_particle": (1e-3, 5000, 3, 10, None, {"params": {"B": np.array([1.0, 2.0, 4.0])}}),
    "kepler": (1e-3, 20000, 4, 20, "dopri5", {"params": {"k": np.array([0.8, 1.0, 1.2, 1.4])}}),
    "henon_heiles": (1e-2, 20000, 3, 10, None, {"params": {"lam": np.array([0.6, 0.8, 1.0])}}),
    "chain6": (1e-3, 5000, 1, 10, None, {}),
    "double_well": (5e-2, 400, 20000, 400, "mala", {}),
    "muller_brown": (1e-4, 20000, 5000, 20000, None, {"params": {"T": 20.0}}),
    "ornstein_uhlenbeck": (1e-2, 500, 2000, 5, None, {}),
    "geometric_brownian_motion": (1e-2, 1000, 2000, 10, None, {}),
    "stochastic_lorenz": (1e-3, 20000, 200, 20, None, {}),
    "langevin_oscillator": (1e-2, 2000, 2000, 10, None, {}),
    "projectile": (1e-3, 2000, 3, 10, None, {"params": {"g": np.array([9.81, 3.71, 1.62])}}),
    "gaussian_ring": (5e-3, 200, 5000, 10, "pf-rk4", {}),
    "bimodal_ve": (2e-3, 500, 5000, 5, "reverse-em", {}),
    "ou_reverse": (5e-3, 400, 2000, 4, "reverse-em", {}),
    "widening_noise": (2e-3, 1000, 2000, 10, "reverse-em", {}),
    "vp_prior": (1e-2, 100, 2000, 1, None, {}),
    "two_wells": (1e-2, 20000, 8, 10, "tempering", {"warmup": 2000, "replicas": 8, "hottest": 16.0}),
    "eight_schools": (1e-1, 1000, 4, 1, "nuts", {"warmup": 500}),
    "underdamped_double_well": (1e-2, 20000, 200, 20, None, {}),
}
# samplers of a few chains: their draws over time say more than a histogram of the chains' last states
KINDS = {"two_wells": "trace", "eight_schools": "trace"}


def _mode_energies(result, modes, particle=0):
    """E_k = (P_k² + ω_k² Q_k²)/2 of a fixed-end chain of unit masses, from
    the orthonormal sine transform Q_k = sqrt(2/(N+1)) Σ_i q_i sin(π i k/(N+1))
    and ω_k = 2 sin(π k/(2(N+1))) (docs/indexed.md)."""
    n = int(result.meta["params"]["N"])
    q = np.stack([result[f"q[{i}]"][:, particle] for i in range(1, n + 1)], axis=1)
    p = np.stack([result[f"q_dot[{i}]"][:, particle] for i in range(1, n + 1)], axis=1)
    k = np.asarray(modes)
    sines = np.sqrt(2 / (n + 1)) * np.sin(np.pi * np.outer(np.arange(1, n + 1), k) / (n + 1))
    omega = 2 * np.sin(np.pi * k / (2 * (n + 1)))
    return ((p @ sines) ** 2 + omega**2 * (q @ sines) ** 2) / 2


def _fput(path, image):
    """The first, third and fifth normal modes' energies over time, at the
    default β = 1 and at β = 4 (the same as amplitude 2 at β = 1)."""
    betas, dt, steps = np.array([1.0, 4.0]), 0.05, 320_000
    result = actionc.compile(path, "leapfrog").run(
        dt=dt, steps=steps, particles=2, save_every=100, params={"beta": betas}
    )
    figure, axes = plt.subplots(1, 2, figsize=(9, 4.2), sharey=True)
    for particle, (axis, beta) in enumerate(zip(axes, betas)):
        energies = _mode_energies(result, (1, 3, 5), particle)
        for column, mode in enumerate((1, 3, 5)):
            axis.plot(result.t, energies[:, column] / energies[0, 0], lw=0.8, label=f"$E_{mode}$")
        axis.set_title(f"β = {beta:g}")
        axis.set_xticks(np.arange(0, result.t[-1] + 1, 4000))
        axis.set_xlabel("t")
    axes[0].set_ylabel("$E_k(t) / E_1(0)$")
    axes[0].legend(loc="center right")
    figure.suptitle("fput — energy of the normal modes, N = 32, leapfrog")
    figure.tight_layout()
    figure.savefig(image, dpi=110)
    plt.close(figure)
    return (
        f"leapfrog, {steps} steps of dt = {dt:g}, β = 1 (the default) and β = 4 — the energies of normal modes"
        " 1, 3 and 5 (the even modes stay empty by symmetry): the near-recurrence."
    )


def _allen_cahn(path, image):
    """φ over sites and time, from φ ≈ 0 to domains that coarsen."""
    return _field(path, image, 0.01, 20_000, "φ", 1.3, "T = 0.05")


def _stochastic_heat(path, image):
    """u over sites and time, from one cosine wave to the stationary noisy field."""
    return _field(path, image, 0.01, 1_000, "u", 1.0, "D = 1, m = 1, s = 0.5", save_every=2)


def _field(path, image, dt: float, steps: int, label: str, scale: float, settings: str, save_every: int = 20):
    """A field over sites (up) and time (across), one particle."""
    result = actionc.compile(path).run(dt=dt, steps=steps, particles=1, seed=1, save_every=save_every)
    figure, axis = plt.subplots(figsize=(9, 4.2))
    n = result.x.shape[-1]
    shown = axis.imshow(
        result.x[:, 0, :].T,
        aspect="auto",
        origin="lower",
        cmap="RdBu_r",
        vmin=-scale,
        vmax=scale,
        extent=(result.t[0], result.t[-1], 0.5, n + 0.5),
        interpolation="nearest",
    )
    figure.colorbar(shown, ax=axis, label=label)
    axis.set_xlabel("t")
    axis.set_ylabel("site i")
    figure.suptitle(f"{path.stem} — {result.meta['method']}, N = {n}, {settings}")
    figure.tight_layout()
    figure.savefig(image, dpi=110)
    plt.close(figure)
    return f"euler-maruyama, 1 particle, {steps} steps of dt = {dt:g} — the field over sites (up) and time (across)."


def _newton_map(path, s=2.5):
    """The MAP of the logistic regression and the inverse Hessian there
    (Laplace approximation), by Newton's method in NumPy: an independent
    check on the sampler."""
    table = np.loadtxt(path.parent / "data" / "breast_cancer.csv", delimiter=",", skiprows=1)
    design, y = np.hstack([table[:, :30], np.ones((len(table), 1))]), table[:, 30]
    theta = np.zeros(design.shape[1])
    for _ in range(50):
        sigma = 1 / (1 + np.exp(y * (design @ theta)))
        gradient = -design.T @ (y * sigma) + theta / s**2
        hessian = (design * (sigma * (1 - sigma))[:, None]).T @ design + np.eye(len(theta)) / s**2
        theta -= np.linalg.solve(hessian, gradient)
    return theta, np.linalg.inv(hessian)


def _logistic_regression(path, image):
    """Marginals of a few weights from MALA (8 chains), against the Laplace
    approximation N(MAP, H⁻¹) found independently."""
    dt, steps, chains = 0.002, 100_000, 8
    result = actionc.compile(path, "mala").run(dt=dt, steps=steps, particles=chains, seed=1, save_every=20)
    draws = result.x[len(result.x) // 10 :]  # the first tenth is warm-up
    theta, covariance = _newton_map(path)
    shown = ["w[8]", "w[11]", "w[22]", "b"]
    figure, axes = plt.subplots(1, len(shown), figsize=(9, 3.2))
    for axis, name in zip(axes, shown):
        k = result.names.index(name)
        values = draws[:, :, k].ravel()
        axis.hist(values, bins=50, density=True, color="0.7", label="MALA")
        grid = np.linspace(values.min(), values.max(), 200)
        sd = np.sqrt(covariance[k, k])
        axis.plot(grid, np.exp(-((grid - theta[k]) ** 2) / (2 * sd**2)) / (sd * np.sqrt(2 * np.pi)), label="Laplace")
        axis.axvline(theta[k], color="k", lw=0.8)
        axis.set_xlabel(name)
        axis.set_yticks([])
    axes[0].legend(fontsize="small")
    figure.suptitle(
        f"logistic_regression — mala, {chains} chains, acceptance {result.meta['stats']['acceptance_rate']:.2f}"
    )
    figure.tight_layout()
    figure.savefig(image, dpi=110)
    plt.close(figure)
    return (
        f"mala, {chains} chains, {steps} steps of dt = {dt:g} — posterior marginals of three weights and the"
        " intercept against the Laplace approximation at the MAP (Newton's method in NumPy; the line is the MAP)."
    )


def _pleiades(path, image):
    """The seven stars' orbits in the plane up to t = 3."""
    dt, steps = 1e-4, 30_000
    result = actionc.compile(path, "yoshida4").run(dt=dt, steps=steps, particles=1, save_every=10)
    figure, axis = plt.subplots(figsize=(6, 5))
    for star in range(1, 8):
        x, y = result[f"x[{star}]"][:, 0], result[f"y[{star}]"][:, 0]
        axis.plot(x, y, lw=1, label=f"{star}")
        axis.plot(x[0], y[0], "o", color=axis.lines[-1].get_color(), ms=3)
    axis.set_aspect("equal")
    axis.legend(title="star (mass)", fontsize="small", loc="upper left", bbox_to_anchor=(1, 1))
    error = np.abs(result.invariants[:, 0, 0] / result.invariants[0, 0, 0] - 1)
    figure.suptitle(f"pleiades — yoshida4; relative energy error {error[-1]:.0e} at t = 3, at most {error.max():.0e}")
    figure.tight_layout()
    figure.savefig(image, dpi=110)
    plt.close(figure)
    return f"yoshida4, 1 particle, {steps} steps of dt = {dt:g} — the orbits in the plane (dots: the starts)."


# indexed models: a picture of their own (path, image) -> the line in gallery.md
INDEXED = {
    "fput": _fput,
    "allen_cahn": _allen_cahn,
    "stochastic_heat": _stochastic_heat,
    "logistic_regression": _logistic_regression,
    "pleiades": _pleiades,
}


def _draw(path: Path, image: Path) -> str:
    """Run a scalar example as RUNS says, draw its default picture, and say how."""
    if path.stem not in RUNS:
        raise SystemExit(f"{path.stem} has no run in RUNS (docs/make_gallery.py): add one")
    dt, steps, particles, save_every, method, options = RUNS[path.stem]
    compiled = actionc.compile(path, method)
    result = compiled.run(dt=dt, steps=steps, particles=particles, save_every=save_every, seed=1, **options)
    kind = KINDS.get(path.stem) or default_kind(result)
    plot(result, kind, image)
    return f"{compiled.method}, {particles} particle(s), {steps} steps of dt = {dt:g} — {kind}."


def _caption(path: Path) -> str | None:
    """What gallery.md says now of an example that is not drawn this time
    (None for one it does not list yet: that one is drawn)."""
    text = (ROOT / "docs" / "gallery.md").read_text(encoding="utf-8")
    if f"## {path.stem}\n" not in text:
        return None
    return text.split(f"## {path.stem}\n\n", 1)[1].split("\n", 1)[0].split("`, ", 1)[1]


def main(only: list[str]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Gallery",
        "",
        "One picture per example, made by `python docs/make_gallery.py` from the example's default run",
        "(`actionc plot RESULT.npz` draws the same); the indexed models' pictures are drawn by the script",
        "itself (docs/indexed.md).",
        "",
    ]
    paths = sorted((ROOT / "examples").glob("*.act"))
    unknown = set(only) - {path.stem for path in paths}
    if unknown:
        raise SystemExit(f"no example named {', '.join(sorted(unknown))}")
    for path in paths:
        image = OUT / f"{path.stem}.png"
        caption = _caption(path) if only and path.stem not in only else None
        if caption is None:
            caption = INDEXED[path.stem](path, image) if path.stem in INDEXED else _draw(path, image)
            print("wrote", image.relative_to(ROOT))
        lines += [f"## {path.stem}", "", f"`{path.relative_to(ROOT)}`, {caption}", ""]
        lines += [f"![{path.stem}](gallery/{image.name})", ""]
    (ROOT / "docs" / "gallery.md").write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
