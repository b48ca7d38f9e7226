"""Pictures of results: trajectories, phase portraits, histograms against the
exact Gibbs marginal, invariant drift, and densities of `actionc density`. Needs matplotlib (the `plot`
extra: pip install "actionc[plot]").

    actionc plot run.npz [--kind auto|trajectories|phase|path|histogram|samples|trace|pairs|invariants|section|field]
                         [--out fig.png]

field draws each array of an indexed model as a space–time image (the default when the state has arrays).

trace and pairs are for sampling runs (mala, hmc, nuts, tempering): particles as chains, saves after t = 0 as draws.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from actionc.errors import ModelError, ResultFileError, RunError
from actionc.methods import decode
from actionc.run.result import Result, write_atomically

KINDS = (
    "auto", "trajectories", "phase", "path", "histogram", "samples", "trace", "pairs", "invariants", "section", "field",
    "landscape", "loss",
)  # fmt: skip
FIELD_MIN = 8  # elements of an array from which a run is drawn as a space–time image
_FEW = 5  # particles drawn as lines
_CHAINS = 8  # chains drawn one by one in trace and pairs plots
_POINTS = 4000  # draws per chain at most in a pairs plot (thinned evenly)


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise RunError("plotting needs matplotlib", hint='pip install "actionc[plot]"') from None
    return plt


def default_kind(result: Result) -> str:
    if result.meta.get("command") == "optimize":  # paths of an optimizer: on the landscape in 2-D
        return "landscape" if len(result.names) == 2 else "loss"
    if "section_x" in result.events:
        return "section"
    if any(len(columns) >= FIELD_MIN for columns in _arrays(result.names).values()):
        return "field"  # an indexed model: its arrays over time
    if decode(result.meta.get("method")).draws_samples:
        return "samples" if len(result.names) >= 2 else "histogram"
    kind = result.meta.get("kind")
    if kind in ("lagrangian", "hamiltonian"):
        return "phase"
    if kind == "energy":
        return "histogram"
    return "trajectories"


def plot(result: Result, kind: str = "auto", out: str | Path | None = None):
    """Draw `result` and save it to `out` (PNG, SVG, PDF by extension) if
    given; returns the matplotlib Figure."""
    if kind not in KINDS:
        raise RunError(f"unknown plot kind '{kind}'", hint=f"the kinds are: {', '.join(KINDS)}")
    kind = default_kind(result) if kind == "auto" else kind
    plt = _pyplot()
    draw = {
        "trajectories": _trajectories,
        "phase": _phase,
        "histogram": _histogram,
        "samples": _samples,
        "trace": _trace,
        "pairs": _pairs,
        "invariants": _invariants,
        "section": _section,
        "path": _path,
        "field": _field,
        "landscape": _landscape,
        "loss": _loss,
    }
    figure = draw[kind](result, plt)
    figure.suptitle(f"{result.meta['model']} — {result.meta['method']}, {result.meta['particles']} particle(s)")
    figure.tight_layout()
    if out is not None:
        _save(figure, out, plt)
    return figure


def _save(figure, out: str | Path, plt) -> None:
    """Write the figure by the output rules of actionc.run.result (format by extension)."""
    file_format = Path(out).suffix.lstrip(".").lower() or "png"
    if file_format not in figure.canvas.get_supported_filetypes():
        raise RunError(f"cannot draw a .{file_format} file", hint="use .png, .svg or .pdf")
    write_atomically(out, lambda handle: figure.savefig(handle, dpi=110, format=file_format))
    plt.close(figure)


def _arrays(names: list[str]) -> dict[str, list[int]]:
    """The columns of each array of an indexed model's state: q[1], q[2], … → {"q": [0, 1, …]}."""
    arrays: dict[str, list[int]] = {}
    for k, name in enumerate(names):
        base, bracket, _ = name.partition("[")
        if bracket:
            arrays.setdefault(base, []).append(k)
    return arrays


def _field(result: Result, plt):
    """Each array of the first particle as a space–time image: elements
    across, time up (at most three arrays)."""
    arrays = {name: columns for name, columns in _arrays(result.names).items() if len(columns) > 1}
    if not arrays:
        raise RunError("a field picture needs arrays in the state", hint="this is for indexed models (docs/indexed.md)")
    shown = list(arrays.items())[:3]
    figure, axes = plt.subplots(1, len(shown), figsize=(4.2 * len(shown) + 1, 4.2), squeeze=False)
    for axis, (name, columns) in zip(axes[0], shown):
        values = result.x[:, 0, columns]
        limit = float(np.nanmax(np.abs(values))) or 1.0  # white at 0
        first, last = result.names[columns[0]], result.names[columns[-1]]
        low, high = first[first.index("[") + 1 : -1], last[last.index("[") + 1 : -1]
        image = axis.imshow(
            values,
            aspect="auto",
            origin="lower",
            cmap="RdBu_r",
            vmin=-limit,
            vmax=limit,
            extent=(float(low) - 0.5, float(high) + 0.5, result.t[0], result.t[-1]),
        )
        figure.colorbar(image, ax=axis, label=_label(name))
        axis.set_xlabel(f"element of {_label(name)}")
        axis.set_ylabel("t")
    return figure


def _label(name: str) -> str:
    return name[: -len("_dot")] + "'" if name.endswith("_dot") else name


def _trajectories(result: Result, plt):
    names = result.names[:6]
    figure, axes = plt.subplots(len(names), 1, figsize=(7, 1.8 + 1.6 * len(names)), sharex=True, squeeze=False)
    for k, name in enumerate(names):
        axis = axes[k, 0]
        values = result.x[:, :, result.names.index(name)]
        if values.shape[1] > _FEW:
            low, middle, high = np.percentile(values, [5, 50, 95], axis=1)
            axis.fill_between(result.t, low, high, alpha=0.25, label="5–95% of particles")
            axis.plot(result.t, middle, lw=1.5, label="median")
        axis.plot(result.t, values[:, :_FEW], lw=0.8)
        axis.set_ylabel(_label(name))
    axes[-1, 0].set_xlabel("t")
    if result.x.shape[1] > _FEW:
        axes[0, 0].legend(loc="upper right", fontsize=8)
    return figure


def _phase(result: Result, plt):
    names = result.names
    coordinates, conjugates = result.meta.get("coordinates"), result.meta.get("conjugates")
    if (
        coordinates
        and conjugates
        and len(coordinates) == len(conjugates)
        and set(coordinates + conjugates) <= set(names)
    ):
        pairs = list(zip(coordinates, conjugates))[:3]  # what the kernel says its state is
    elif len(names) % 2:
        raise RunError("a phase portrait needs a state of coordinates and velocities or momenta")
    else:  # a result that does not say (an older file, a first-order model): its halves
        half = len(names) // 2
        pairs = [(names[i], names[half + i]) for i in range(min(half, 3))]
    figure, axes = plt.subplots(1, len(pairs), figsize=(4.5 * len(pairs), 4.2), squeeze=False)
    for axis, (q, p) in zip(axes[0], pairs):
        qs, ps = result[q], result[p]
        axis.plot(qs[:, :_FEW], ps[:, :_FEW], lw=0.8)
        axis.plot(qs[0, :_FEW], ps[0, :_FEW], "k.", ms=5)
        axis.set_xlabel(_label(q))
        axis.set_ylabel(_label(p))
    return figure


def _path(result: Result, plt):
    """The path in configuration space: the first two coordinates (or state
    variables) against each other, a few particles, start and end marked."""
    coordinates = result.meta.get("coordinates") or []
    if len(coordinates) < 2 and len(result.names) < 2:
        raise RunError("a path picture needs two coordinates or state variables")
    a, b = coordinates[:2] if len(coordinates) >= 2 else result.names[:2]
    figure, axis = plt.subplots(figsize=(5.5, 5.2))
    axis.plot(result[a][:, :_FEW], result[b][:, :_FEW], lw=0.9)
    axis.plot(result[a][0, :_FEW], result[b][0, :_FEW], "k.", ms=6, label="start")
    axis.plot(result[a][-1, :_FEW], result[b][-1, :_FEW], "r*", ms=8, label=f"t = {result.t[-1]:g}")
    axis.set_xlabel(_label(a))
    axis.set_ylabel(_label(b))
    axis.legend(fontsize=8)
    return figure


def _landscape(result: Result, plt):
    """The paths of an optimize run over the contours of E (2-D models),
    starts as dots, the minima found as stars."""
    if len(result.names) != 2 or result.meta.get("kind") != "energy":
        raise RunError("a landscape picture needs an energy model of two state variables; try --kind loss")
    source = result.meta.get("source")
    if not source:
        raise ResultFileError("no model text in its meta to draw the landscape from")
    from actionc.pipeline import compile_text

    try:
        energy = compile_text(source).function("energy")
    except ModelError as error:
        raise ResultFileError(f"the model text in its meta does not load:\n{error}") from None
    params = {k: v for k, v in result.meta["params"].items() if not isinstance(v, list)}
    low, high = result.x.min(axis=(0, 1)), result.x.max(axis=(0, 1))
    margin = 0.15 * np.maximum(high - low, 1e-3)
    xs, ys = (np.linspace(low[k] - margin[k], high[k] + margin[k], 200) for k in (0, 1))
    grid = np.stack(np.meshgrid(xs, ys), axis=-1)
    values = energy(grid, **params)
    figure, axis = plt.subplots(figsize=(6, 5.2))
    levels = np.unique(np.quantile(values, np.linspace(0.0, 0.95, 25) ** 2))  # denser near the minima
    axis.contour(xs, ys, values, levels=levels, cmap="viridis", linewidths=0.7)
    a, b = result.names
    axis.plot(result[a][:, : _CHAINS * 4], result[b][:, : _CHAINS * 4], lw=0.8, color="0.3")
    axis.plot(result[a][0], result[b][0], "k.", ms=4, label="starts")
    for found in result.meta.get("optimize", {}).get("minima", []):
        axis.plot(*found["x"], "r*", ms=11)
    axis.plot([], [], "r*", ms=9, label="end points found")
    axis.set_xlabel(_label(a))
    axis.set_ylabel(_label(b))
    axis.legend(fontsize=8)
    return figure


def _loss(result: Result, plt):
    """E − E* along each path against the iterations (log scale): the
    rate of an optimizer, read as a slope."""
    info = result.meta.get("optimize")
    if not info:
        raise RunError("a loss picture is of an optimize result (actionc optimize --out)")
    energies = np.array([[np.nan if v is None else v for v in row] for row in info["path_energy"]])
    best = min(found["energy"] for found in info["minima"]) if info["minima"] else np.nanmin(energies)
    figure, axis = plt.subplots(figsize=(6.5, 4.4))
    gap = np.maximum(energies - best, 1e-16)
    axis.semilogy(result.t, gap[:, : _CHAINS * 4], lw=0.9)
    axis.set_xlabel("iteration")
    axis.set_ylabel("E − E* (E* the lowest minimum found)")
    return figure


def _section(result: Result, plt):
    """The crossings of a Poincaré section (run --section): the coordinate
    and conjugate pair that does not cross the surface (the surface's
    variable is the first name in its text), each particle in its colour."""
    if "section_x" not in result.events:
        raise RunError("no section in this result", hint="run with --section 'x = 0, px > 0' and --out")
    names = result.names
    surface = result.meta["event"]["section"].split("=")[0].strip()
    pairs = list(zip(result.meta.get("coordinates") or [], result.meta.get("conjugates") or []))
    pairs = [pair for pair in pairs if surface not in pair] or [tuple(n for n in names if n != surface)[:2]]
    (a, b), points = pairs[0], result.events["section_x"]
    if not b:
        raise RunError("a section picture needs two state variables besides the surface's")
    figure, axis = plt.subplots(figsize=(5.5, 5.2))
    axis.scatter(
        points[:, names.index(a)], points[:, names.index(b)], c=result.events["section_particle"], s=2, cmap="viridis"
    )
    axis.set_xlabel(_label(a))
    axis.set_ylabel(_label(b))
    axis.set_title(f"section {result.meta['event']['section']}: {len(points)} crossings", fontsize=10)
    return figure


def _samples(result: Result, plt):
    """The first two state variables of every particle, first and last save
    side by side: for a diffusion sampler, the noise it starts from and the
    samples it ends with."""
    if len(result.names) < 2:
        raise RunError("a scatter of samples needs two state variables; try --kind histogram")
    x, y = result.names[:2]
    figure, axes = plt.subplots(1, 2, figsize=(9, 4.4), sharex=True, sharey=True)
    horizon = result.meta.get("horizon")  # a sampler runs the model's time T − t from T down to 0
    for axis, index, title in ((axes[0], 0, "first save"), (axes[1], -1, "last save")):
        axis.scatter(result[x][index], result[y][index], s=2, alpha=0.3, linewidths=0)
        when = result.t[index] if horizon is None else horizon - result.t[index]
        axis.set_title(f"{title} (t = {when:g}{'' if horizon is None else ', model time'})", fontsize=10)
        axis.set_xlabel(_label(x))
        axis.set_aspect("equal", adjustable="box")
    axes[0].set_ylabel(_label(y))
    return figure


def _draws(result: Result) -> np.ndarray:
    """The draws of a sampling run, (draws, chains, state), or a RunError."""
    if "proposed" not in (result.meta.get("stats") or {}) or result.x.shape[0] < 2:
        raise RunError(
            "trace and pairs plots need draws: the result of a sampler (--method mala, hmc, nuts or tempering)",
            hint="for other runs try --kind trajectories or histogram",
        )
    return result.x[1:]


def _trace(result: Result, plt):
    """Each variable's draws by chain (left) and each chain's histogram
    (right), as ArviZ's plot_trace: chains that disagree show as lines at
    different levels and histograms apart. R-hat in each label; a chain's
    first divergent draw marked below its trace."""
    from actionc.run.diagnostics import rhat

    draws = _draws(result)
    names = result.names[:6]
    chains = min(draws.shape[1], _CHAINS)
    first_divergent = {d["chain"]: d["first_draw"] for d in result.meta.get("divergences") or []}
    figure, axes = plt.subplots(len(names), 2, figsize=(10, 1.2 + 1.9 * len(names)), squeeze=False)
    steps = np.arange(1, draws.shape[0] + 1) * result.meta.get("save_every", 1)
    for k, name in enumerate(names):
        values = draws[:, :, result.names.index(name)]
        left, right = axes[k]
        edges = np.linspace(values.min(), values.max() + 1e-12, 50)
        for chain in range(chains):
            color = f"C{chain % 10}"
            left.plot(steps, values[:, chain], lw=0.5, color=color, alpha=0.8)
            right.hist(values[:, chain], bins=edges, density=True, histtype="step", color=color)
            if chain in first_divergent:
                left.plot([first_divergent[chain]], [values.min()], "|", color="k", ms=10)
        score = rhat(values) if draws.shape[0] >= 4 and draws.shape[1] >= 2 else float("nan")
        left.set_ylabel(f"{_label(name)}\nR-hat {score:.3f}", fontsize=9)
        right.set_xlabel(_label(name))
    axes[-1, 0].set_xlabel("draw" + (" (| first divergent draw of a chain)" if first_divergent else ""))
    axes[0, 0].set_title(f"{chains} of {draws.shape[1]} chains", fontsize=9)
    return figure


def _pairs(result: Result, plt):
    """Every pair of the first four variables, draws coloured by chain (a
    chain stuck in one mode stands out), histograms on the diagonal, and
    where divergent trajectories started (black crosses)."""
    draws = _draws(result)
    names = result.names[:4]
    if len(names) < 2:
        raise RunError("a pairs plot needs two state variables; try --kind trace")
    chains = min(draws.shape[1], _CHAINS)
    every = max(1, draws.shape[0] // _POINTS)
    starts = [d["from"] for d in result.meta.get("divergences") or []]
    size = len(names)
    figure, axes = plt.subplots(size, size, figsize=(2.6 * size + 0.5, 2.6 * size), squeeze=False)
    for row, first in enumerate(names):
        for column, second in enumerate(names):
            axis = axes[row, column]
            if column > row:
                axis.axis("off")
                continue
            x = draws[::every, :chains, result.names.index(second)]
            if row == column:
                axis.hist(draws[:, :, result.names.index(first)].ravel(), bins=50, color="0.5")
            else:
                y = draws[::every, :chains, result.names.index(first)]
                for chain in range(chains):
                    axis.plot(x[:, chain], y[:, chain], ".", ms=1.5, alpha=0.4, color=f"C{chain % 10}")
                if starts:
                    axis.plot([s[second] for s in starts], [s[first] for s in starts], "kx", ms=5)
            if row == size - 1:
                axis.set_xlabel(_label(second))
            if column == 0 and row > 0:
                axis.set_ylabel(_label(first))
    return figure


def _histogram(result: Result, plt):
    names = result.names[:3]
    energy = _energy_function(result)
    final = result.x[-1]
    figure, axes = plt.subplots(1, len(names), figsize=(4.5 * len(names), 3.8), squeeze=False)
    for k, name in enumerate(names):
        axis = axes[0, k]
        values = final[:, k]
        low, high = np.percentile(values, [0.1, 99.9])
        pad = 0.1 * (high - low + 1e-12)
        edges = np.linspace(low - pad, high + pad, 60)
        axis.hist(values, bins=edges, density=True, alpha=0.5, label=f"{len(values)} particles")
        if energy is not None:
            grid, density = _gibbs_marginal(energy, final, k, edges)
            axis.plot(grid, density, "k", lw=1.5, label="exp(−E/T), exact marginal")
        axis.set_xlabel(_label(name))
        axis.legend(fontsize=8)
    return figure


def _energy_function(result: Result):
    """E/T as a vectorized function of the state, from the model text that
    every result keeps in its meta (None if the model has no temperature)."""
    source = result.meta.get("source")
    if not source or result.meta.get("kind") != "energy":
        return None
    from actionc.pipeline import compile_text

    try:
        compiled = compile_text(source)
    except ModelError as error:
        raise ResultFileError(f"the model text in its meta does not load:\n{error}") from None
    if not compiled.has("temperature"):  # no temperature: no Gibbs density
        return None
    energy, temperature = compiled.function("energy"), compiled.function("temperature")
    params = {k: v for k, v in result.meta["params"].items() if not isinstance(v, list)}
    if set(params) - set(compiled.params):
        raise ResultFileError(f"the parameters in its meta ({', '.join(params)}) are not its model's")
    return lambda x: energy(x, **params) / temperature(x, **params)


def _gibbs_marginal(energy, sample: np.ndarray, k: int, edges: np.ndarray):
    """The marginal density of coordinate k, integrating exp(−E/T) over the
    others on a grid spanning the sample (up to 2 other coordinates)."""
    n = sample.shape[1]
    grid = np.linspace(edges[0], edges[-1], 400)
    others = [j for j in range(n) if j != k]
    if len(others) > 2:
        return grid, np.full_like(grid, np.nan)
    axes = []
    for j in others:
        low, high = np.percentile(sample[:, j], [0.01, 99.99])
        pad = 0.5 * (high - low + 1e-9)
        axes.append(np.linspace(low - pad, high + pad, 200))
    mesh = np.meshgrid(grid, *axes, indexing="ij")
    points = np.zeros(mesh[0].shape + (n,))
    points[..., k] = mesh[0]
    for j, values in zip(others, mesh[1:]):
        points[..., j] = values
    log_density = -energy(points)
    weights = np.exp(log_density - log_density.max())
    marginal = weights
    for values in reversed(axes):
        marginal = np.trapezoid(marginal, values, axis=-1)
    marginal /= np.trapezoid(marginal, grid)
    return grid, marginal


def _invariants(result: Result, plt):
    if result.invariants is None or not result.invariant_names:
        raise RunError("this result has no invariants to plot", hint="mechanical models without friction have some")
    kept = ~result.diverged_particles()  # frozen near the float limit, their drift is no measure of the method
    if not kept.any():
        raise RunError("every particle diverged: no invariant drift to plot")
    figure, axis = plt.subplots(figsize=(7, 4))
    invariants = result.invariants[:, kept]
    start = invariants[0]
    scale = np.maximum(np.abs(start), 1e-300)
    for k, name in enumerate(result.invariant_names):
        drift = np.abs(invariants[:, :, k] - start[:, k]) / scale[:, k]
        axis.semilogy(result.t[1:], np.maximum(drift.max(axis=1)[1:], 1e-17), label=f"{name}: max over particles")
    axis.set_xlabel("t")
    axis.set_ylabel("|I(t) − I(0)| / |I(0)|")
    axis.legend(fontsize=8)
    return figure


def plot_density(result, out: str | Path | None = None, run: Result | None = None):
    """Draw an `actionc density` result: 1-D, p(x) at several saves (the
    stationary density dashed, `run`'s particle histogram at the nearest save
    overlaid); 2-D and 3-D, heat maps of the first and last save (3-D: the
    marginal of the first two variables, `run`'s particles as dots); energy
    models, the free energy along the solution."""
    plt = _pyplot()
    names = result.names
    if run is not None and not set(names) <= set(run.names):
        raise RunError(f"the run has state {', '.join(run.names)}, the density {', '.join(names)}")
    panels = 2 if result.free_energy is not None else 1
    if len(names) > 1:
        panels += 1
    figure, axes = plt.subplots(1, panels, figsize=(4.8 * panels, 4.2), squeeze=False)
    axes = list(axes[0])
    last = len(result.t) - 1
    near = None if run is None else int(np.argmin(np.abs(run.t - result.t[last])))
    if len(names) == 1:
        axis, x = axes[0], result.centres(names[0])
        chosen = sorted(set(np.linspace(0, last, min(6, last + 1)).round().astype(int)))
        for index in chosen:
            color = plt.cm.viridis(index / max(last, 1))
            axis.plot(x, result.p[index], lw=1.3, color=color, label=f"t = {result.t[index]:g}")
        if result.stationary is not None:
            axis.plot(x, result.stationary, "k--", lw=1, label="stationary")
        if near is not None:
            values = run[names[0]][near]
            axis.hist(values, bins=60, density=True, alpha=0.35, color="C3", label=f"run, t = {run.t[near]:g}")
        visible = x[result.p.max(axis=0) > 1e-4 * result.p.max()]  # the grid's empty margins are not shown
        axis.set_xlim(visible.min(), visible.max())
        axis.set_xlabel(_label(names[0]))
        axis.set_ylabel("p")
        axis.legend(fontsize=8)
    else:
        for axis, index in ((axes[0], 0), (axes[1], last)):
            density = result.p[index]
            if density.ndim == 3:  # the marginal of the first two variables
                density = density.sum(axis=2) * result.grid.axes[2].spacing
            first, second = result.grid.axes[:2]
            mesh = axis.pcolormesh(first.edges, second.edges, density.T, shading="flat", cmap="viridis")
            figure.colorbar(mesh, ax=axis, fraction=0.046)
            if near is not None and index == last:
                dots = run[first.name][near][:2000], run[second.name][near][:2000]
                axis.plot(*dots, "w.", ms=1, alpha=0.5, label=f"run, t = {run.t[near]:g}")
                axis.legend(fontsize=8, loc="upper right")
            axis.set_title(f"t = {result.t[index]:g}", fontsize=10)
            axis.set_xlabel(_label(first.name))
            axis.set_ylabel(_label(second.name))
    if result.free_energy is not None:
        axis = axes[-1]
        axis.plot(result.t, result.free_energy, "k.-", ms=3)
        axis.set_xlabel("t")
        axis.set_ylabel("F[p] = ∫ p (E + T log p) dx")
    figure.suptitle(f"{result.meta['model']} — Fokker–Planck density ({result.meta['scheme']} scheme)", fontsize=10)
    figure.tight_layout()
    if out is not None:
        _save(figure, out, plt)
    return figure
