"""Regenerate the pictures and numbers of docs/density.md.

python docs/make_density_figures.py
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy.sparse.linalg import expm_multiply  # noqa: E402

import actionc  # noqa: E402
from actionc.lower import lower  # noqa: E402
from actionc.plot import plot_density  # noqa: E402
from actionc.run import landscape  # noqa: E402
from actionc.run.density import discretize  # noqa: E402
from actionc.run.density.evolve import slowest_eigenvalues  # noqa: E402
from tests.run.density_models import DOUBLE_WELL, OU  # noqa: E402  (the tested models)

ROOT = Path(__file__).parents[1]
OUT = ROOT / "docs" / "gallery"

WELL = DOUBLE_WELL.replace("init x = -1", "init x = normal(-1, 0.1)")  # the picture starts from a spread


def ou_convergence():
    model = actionc.parse(OU)
    print("OU: L1 error of p at t = 0.2, 0.5, 1 (max), time integration exact")
    rows = []
    for cells in (40, 80, 160, 320):
        problem = discretize(lower(model), grid={"x": (-2.0, 3.0, cells)})
        axis = problem.grid.axes[0]
        p = expm_multiply(problem.operator(), problem.initial.ravel(), start=0, stop=1.0, num=11, endpoint=True)
        error = 0.0
        for k, t in ((2, 0.2), (5, 0.5), (10, 1.0)):
            mean = 0.2 + 0.8 * np.exp(-1.5 * t)
            var = 0.0625 * np.exp(-3 * t) + 0.64 / 3 * (1 - np.exp(-3 * t))
            exact = np.exp(-((axis.centres - mean) ** 2) / (2 * var)) / np.sqrt(2 * np.pi * var)
            error = max(error, np.abs(p[k] - exact).sum() * axis.spacing)
        rows.append((cells, axis.spacing, error))
    for (n, h, e), previous in zip(rows, [None, *rows[:-1]]):
        order = "" if previous is None else f"  order {np.log2(previous[2] / e):.3f}"
        print(f"  | {n} | {h:.5f} | {e:.3e} |{order}")


def double_well_1d():
    model = actionc.parse(WELL)
    density = actionc.density(model, grid="x=-2.2:2.2:400", t_end=5.0, dt=0.005, save_every=100, eigenvalues=4)
    run = actionc.compile(model, "euler-maruyama").run(dt=0.005, steps=1000, particles=20000, seed=1, save_every=100)
    plot_density(density, OUT / "density_double_well_1d.png", run)
    print("double well 1-D, T = 0.3: slowest rates", density.rates)


def double_well_2d():
    density = actionc.density(
        ROOT / "examples" / "double_well.act",
        t_end=4.0,
        dt=0.01,
        save_every=20,
        stationary=True,
    )
    plot_density(density, OUT / "density_double_well.png")
    print("double well 2-D: F from", density.free_energy[0], "to", density.free_energy[-1])


def rates_against_kramers_and_particles():
    model = actionc.parse(WELL)
    compiled = actionc.compile(model, "euler-maruyama")
    temperatures = np.array([0.5, 0.4, 0.3, 0.25, 0.2, 0.15, 0.1, 0.07, 0.05])
    grid, kramers = [], []
    for T in temperatures:
        problem = discretize(lower(model), grid={"x": (-2.0, 2.0, 800)}, params={"T": T})
        grid.append(slowest_eigenvalues(problem.operator(), 2)[1])
        points = landscape.critical_points(compiled, -2.0, 2.0, params={"T": T})
        minimum = next(p for p in points if p.index == 0)
        saddle = next(p for p in points if p.index == 1)
        kramers.append(2 * landscape.kramers_rate(minimum, saddle, T, 1.0))
    grid, kramers = np.array(grid), np.array(kramers)
    simulated = {}
    for T in (0.5, 0.4, 0.3):
        # particles from x = −1: the fraction f(t) beyond the saddle relaxes as
        # ½(1 − e^{−λ₁ t}) once each well is locally equilibrated; fit λ₁ on t ≥ 2
        run = compiled.run(dt=1e-3, steps=20000, particles=20000, seed=3, params={"T": T}, save_every=500)
        fraction = (run["x"] > 0).mean(axis=1)
        late = run.t >= 2
        slope = np.polyfit(run.t[late], np.log(np.clip(1 - 2 * fraction[late], 1e-12, None)), 1)[0]
        simulated[T] = -slope
    print("| T | λ₁ grid | 2 k_EK | ratio | 1 − 3T/8 | λ₁ particles |")
    for T, g, k in zip(temperatures, grid, kramers):
        particles = f"{simulated[T]:.4g}" if T in simulated else ""
        print(f"| {T:g} | {g:.5g} | {k:.5g} | {g / k:.4f} | {1 - 3 * T / 8:.4f} | {particles} |")
    figure, (axis, ratio) = plt.subplots(1, 2, figsize=(11, 4.2))
    axis.semilogy(1 / temperatures, grid, "ko-", ms=4, label="λ₁ of the grid operator (800 cells)")
    axis.semilogy(1 / temperatures, kramers, "C0--", label="2 k, Eyring–Kramers")
    axis.semilogy(1 / temperatures, kramers * (1 - 3 * temperatures / 8), "C1:", label="2 k (1 − 3T/8)")
    T_sim = np.array(sorted(simulated))
    axis.semilogy(1 / T_sim, [simulated[T] for T in T_sim], "C3s", label="particles (20000, Euler–Maruyama)")
    axis.set_xlabel("1 / T")
    axis.set_ylabel("relaxation rate λ₁")
    axis.legend(fontsize=8)
    ratio.plot(temperatures, grid / kramers, "ko-", ms=4, label="λ₁ / 2k, grid")
    ratio.plot(temperatures, 1 - 3 * temperatures / 8, "C1:", label="1 − 3T/8 (first correction)")
    kramers_at = dict(zip(temperatures, kramers))
    ratio.plot(T_sim, [simulated[T] / kramers_at[T] for T in T_sim], "C3s", label="λ₁ / 2k, particles")
    ratio.axhline(1.0, color="C0", ls="--", lw=1)
    ratio.set_xlabel("T")
    ratio.set_ylabel("rate / Eyring–Kramers")
    ratio.legend(fontsize=8)
    figure.suptitle("E = (x² − 1)²: the slowest rate against Kramers and particles", fontsize=10)
    figure.tight_layout()
    figure.savefig(OUT / "density_rates.png", dpi=110)
    plt.close(figure)


if __name__ == "__main__":
    ou_convergence()
    double_well_1d()
    double_well_2d()
    rates_against_kramers_and_particles()
