"""Regenerate docs/gallery/*.png and docs/gallery.md: one picture per example,
from its default method, so the gallery never drifts from the code.

    python docs/make_gallery.py
"""

from pathlib import Path

import numpy as np

import actionc
from actionc.plot import default_kind, plot

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
}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Gallery",
        "",
        "One picture per example, made by `python docs/make_gallery.py` from the example's default run",
        "(`actionc plot RESULT.npz` draws the same).",
        "",
    ]
    for path in sorted((ROOT / "examples").glob("*.act")):
        dt, steps, particles, save_every, method, options = RUNS[path.stem]
        compiled = actionc.compile(path, method)
        result = compiled.run(dt=dt, steps=steps, particles=particles, save_every=save_every, seed=1, **options)
        kind = default_kind(result)
        image = OUT / f"{path.stem}.png"
        plot(result, kind, image)
        lines += [
            f"## {path.stem}",
            "",
            f"`{path.relative_to(ROOT)}`, {compiled.method}, {particles} particle(s), {steps} steps of dt = {dt:g}"
            f" — {kind}.",
            "",
            f"![{path.stem}](gallery/{image.name})",
            "",
        ]
        print("wrote", image.relative_to(ROOT))
    (ROOT / "docs" / "gallery.md").write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main()
