"""The finite-volume Fokker–Planck operator: dp/dt = L p on the cells.

Probability moves only through cell faces. Across the face between a cell
`a` and its upper neighbour `b` along axis k (spacing h), the flux is

    J = α p_a − β p_b,      α, β ≥ 0,

and the face takes J/h from a and gives it to b: every column of L sums to
zero (probability is conserved to round-off), and L has non-negative
off-diagonal entries (an M-matrix generator: implicit steps keep p ≥ 0).

α and β come from exponential fitting (Scharfetter & Gummel 1969; Chang &
Cooper 1970; Bernoulli function B(z) = z/(eᶻ − 1)): the flux solves the
one-dimensional zero-flux problem across the face exactly.

- Gibbs scheme, for energy models (drift −∇E/γ, constant T and γ):
  z = −(E_b − E_a)/T from the energy at the two cell centres, and
  α = (D/h) B(−z), β = (D/h) B(z), D = T/γ. Then α/β = exp(−(E_b − E_a)/T):
  every face balances exactly at p ∝ exp(−E/T) sampled at the cells — the
  discrete stationary state *is* the Gibbs density (detailed balance).
- General scheme, for any drift and diagonal entries D_kk(x, t): with
  u = D_kk p the flux J = f_k p − ∂_k u is J = v u − ∂_k u, v = f_k/D̄, D̄ the
  mean of D_kk at a and b, fitted exactly the same way with z = h f_k/D̄ and
  f_k the Itô drift at the face centre: α = (D_a/h) B(−z), β = (D_b/h) B(z).
  Where D̄ = 0 (no noise along k) it is upwinding, the z → ±∞ limit.
  Second order in h where the diffusion dominates (B(z) = 1 − z/2 + z²/12 …).
- Off-diagonal D_kj (matrix noise): −∂_j(D_kj p) at the face, a central
  difference along j averaged over a and b. Still conservative, but these
  entries have either sign: with strongly correlated noise p may dip below
  zero at coarse grids (docs/density.md).

The assembly is vectorized NumPy over whole arrays of faces, not a Numba
kernel: it is 0.3 % of a run's time, and compiling a kernel would cost more
(measured in docs/density.md, "What is generated").

Boundaries: reflecting faces carry no flux; periodic faces join the last
cell to the first (an energy that differs on the two walls, a tilted
potential, has no Gibbs state there: its wrap face takes the general flux);
absorbing faces hold p = 0 on the face (probability leaves).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sparse

from actionc.errors import RunError
from actionc.run.density.fields import Coefficients
from actionc.run.density.grid import Grid


def bernoulli(z: np.ndarray) -> np.ndarray:
    """B(z) = z / (eᶻ − 1), B(0) = 1; B(z) → 0 for z → +∞, −z for z → −∞."""
    z = np.asarray(z, dtype=float)
    small = np.abs(z) < 1e-8
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        value = z / np.expm1(z)
    return np.where(small, 1.0 - z / 2, np.where(np.isfinite(value), value, np.where(z > 0, 0.0, -z)))


def assemble(grid: Grid, coefficients: Coefficients, t: float, p: np.ndarray) -> sparse.csr_matrix:
    """L at time t with parameter vector p."""
    centres = grid.points()
    D = _evaluate(coefficients.diffusion, centres, t, p, grid, "the diffusion")
    negative = np.diagonal(D, axis1=-2, axis2=-1) < 0
    if negative.any():  # D = ½ g gᵀ of an imaginary g, e.g. sqrt(x) at x < 0
        at = ", ".join(f"{n} = {v:.6g}" for n, v in zip(grid.names, centres[tuple(np.argwhere(negative)[0][:-1])]))
        raise RunError(f"the noise is not real at {at} (t = {t:g})", hint="keep the grid where the noise is defined")
    gibbs = coefficients.gibbs_exact
    if gibbs:
        energy = _evaluate(coefficients.energy, centres, t, p, grid, "the energy")
        temperature = float(coefficients.temperature(centres[(0,) * len(grid.shape)], t, p))
    index = np.arange(grid.size).reshape(grid.shape)
    rows, cols, values = [], [], []

    def add(r, c, v):
        rows.append(np.ravel(r))
        cols.append(np.ravel(c))
        values.append(np.ravel(v))

    for k, axis in enumerate(grid.axes):
        h, n = axis.spacing, axis.cells
        a, b = _neighbours(index, k, n, axis.boundary == "periodic")
        Dkk = D[..., k, k].ravel()
        if gibbs:
            E = energy.ravel()
            z = -(E[b] - E[a]) / temperature
            alpha, beta = Dkk[a] / h * bernoulli(-z), Dkk[b] / h * bernoulli(z)
            if axis.boundary == "periodic" and not periodic_energy(grid, coefficients, k, t, p):
                # no Gibbs state on this circle (a tilted potential carries a current):
                # E_b − E_a across the wrap face is the tilt, not the local slope
                wrap = (slice(None),) * k + (slice(n - 1, n),)
                where = _face_points(np.take(centres, [n - 1], axis=k), k, axis.edges[[n]])
                drift = _evaluate(coefficients.drift[k], where, t, p, grid, f"the drift along {axis.name}")
                alpha[wrap], beta[wrap] = _fitted(drift, Dkk[a[wrap]], Dkk[b[wrap]], h)
        else:
            faces = _face_points(centres, k, axis.edges[1 : a.shape[k] + 1])
            drift = _evaluate(coefficients.drift[k], faces, t, p, grid, f"the drift along {axis.name}")
            alpha, beta = _fitted(drift, Dkk[a], Dkk[b], h)
        for row, column, rate in ((a, a, -alpha), (a, b, beta), (b, a, alpha), (b, b, -beta)):
            add(row, column, rate / h)  # a loses J/h, b gains it
        if axis.boundary == "absorbing":
            for end, sign in ((0, -1.0), (n - 1, 1.0)):
                cells = np.take(index, [end], axis=k)
                where = _face_points(np.take(centres, [end], axis=k), k, axis.edges[[0 if sign < 0 else n]])
                drift = _evaluate(coefficients.drift[k], where, t, p, grid, f"the drift along {axis.name}")
                Dc = D[..., k, k].ravel()[cells]
                # p = 0 on the face itself: the fitted flux over the half cell from the
                # centre to the wall (a ghost cell's centre, h/2 further out, is first order)
                alpha, beta = _fitted(drift, Dc, Dc, h / 2)
                add(cells, cells, -(alpha if sign > 0 else beta) / h)  # out through the face
        if not coefficients.diagonal:
            for j in range(len(grid.axes)):
                if j != k:
                    _cross(add, grid, index, D, k, j, a, b)
    L = sparse.coo_matrix(
        (np.concatenate(values), (np.concatenate(rows), np.concatenate(cols))), shape=(grid.size, grid.size)
    )
    return L.tocsr()


def periodic_energy(grid: Grid, coefficients: Coefficients, k: int, t: float, p: np.ndarray) -> bool:
    """Whether the energy takes the same values on the two walls of axis k
    (up to round-off on the scale of T): only then is exp(−E/T) a density
    on the circle, and the Gibbs scheme exact across the wrap face."""
    axis, centres = grid.axes[k], grid.points()
    walls = [
        _evaluate(
            coefficients.energy,
            _face_points(np.take(centres, [0], axis=k), k, axis.edges[[edge]]),
            t,
            p,
            grid,
            "the energy",
        )
        for edge in (0, axis.cells)
    ]
    temperature = float(coefficients.temperature(centres[(0,) * len(grid.shape)], t, p))
    scale = temperature + np.abs(walls[0]).max()
    return bool(np.abs(walls[1] - walls[0]).max() <= 1e-9 * scale)


def _evaluate(function, points: np.ndarray, t: float, p: np.ndarray, grid: Grid, what: str) -> np.ndarray:
    """function(points, t, p), every value finite, or a RunError saying where not."""
    with np.errstate(all="ignore"):
        values = np.asarray(function(points, t, p), dtype=float)
    values = values + np.zeros(points.shape[:-1] + values.shape[points.ndim - 1 :])
    bad = ~np.isfinite(values)
    if bad.any():
        where = np.argwhere(bad.reshape(points.shape[:-1] + (-1,)).any(axis=-1))[0]
        at = ", ".join(f"{name} = {value:.6g}" for name, value in zip(grid.names, points[tuple(where)]))
        raise RunError(
            f"{what} is not finite at {at} (t = {t:g})", hint="move the grid away from the singularity with --grid"
        )
    return values


def _fitted(drift, D_a, D_b, h):
    """α, β of the exponentially fitted flux J = α p_a − β p_b (upwind where D̄ = 0)."""
    mean = (D_a + D_b) / 2
    noisy = mean > 0
    z = np.where(noisy, h * drift / np.where(noisy, mean, 1.0), 0.0)
    alpha = np.where(noisy, D_a / h * bernoulli(-z), np.maximum(drift, 0.0))
    beta = np.where(noisy, D_b / h * bernoulli(z), np.maximum(-drift, 0.0))
    return alpha, beta


def _neighbours(index: np.ndarray, k: int, n: int, periodic: bool):
    """Flat indices (a, b) of every face along axis k: b is a's upper neighbour."""
    a = np.take(index, np.arange(n - 1), axis=k)
    b = np.take(index, np.arange(1, n), axis=k)
    if periodic:
        a = np.concatenate([a, np.take(index, [n - 1], axis=k)], axis=k)
        b = np.concatenate([b, np.take(index, [0], axis=k)], axis=k)
    return a, b


def _face_points(centres: np.ndarray, k: int, edges: np.ndarray) -> np.ndarray:
    """Face centres: the cell centres of the first len(edges) cells along k
    with coordinate k moved to `edges` (computed as low + i h, exactly)."""
    faces = np.take(centres, np.arange(len(edges)), axis=k).copy()
    shape = [1] * (faces.ndim - 1)
    shape[k] = len(edges)
    faces[..., k] = edges.reshape(shape)
    return faces


def _cross(add, grid: Grid, index, D, k: int, j: int, a, b) -> None:
    """The flux −∂_j(D_kj p) at the faces (a, b) along k, a central difference
    along j at a and at b, averaged (one-sided where j has no neighbour)."""
    axis_k, axis_j = grid.axes[k], grid.axes[j]
    n = axis_j.cells
    periodic = axis_j.boundary == "periodic"
    up = np.roll(index, -1, axis=j)
    down = np.roll(index, 1, axis=j)
    span = np.full(index.shape, 2.0)
    if not periodic:
        last, first = [slice(None)] * index.ndim, [slice(None)] * index.ndim
        last[j], first[j] = n - 1, 0
        up[tuple(last)] = index[tuple(last)]
        down[tuple(first)] = index[tuple(first)]
        span[tuple(last)] = span[tuple(first)] = 1.0
    up, down, span = up.ravel(), down.ravel(), span.ravel()
    Dkj = D[..., k, j].ravel()
    a, b = np.ravel(a), np.ravel(b)
    for cell in (a, b):
        for neighbour, sign in ((up[cell], 1.0), (down[cell], -1.0)):
            # J gets −½ sign D_kj p[neighbour] / (span h_j); a loses J/h_k, b gains it
            weight = -0.5 * sign * Dkj[neighbour] / (span[cell] * axis_j.spacing)
            add(a, neighbour, -weight / axis_k.spacing)
            add(b, neighbour, weight / axis_k.spacing)
