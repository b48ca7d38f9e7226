"""Time stepping, the stationary density and the slowest eigenvalues of the
finite-volume operator L (dp/dt = L p).

Implicit Euler, (I − Δt L) p_{n+1} = p_n: first order in Δt, and for the
M-matrix L of actionc.run.density.operator the matrix I − Δt L is an
M-matrix too, whose inverse is non-negative with unit column sums: every
step keeps p ≥ 0 and the total probability, at any Δt (Crank–Nicolson
does neither at large steps near steep walls, so it is not offered). A
time-independent L is factorized once (SciPy's sparse LU, SuperLU) and each
step is two triangular solves.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import scipy.sparse as sparse
import scipy.sparse.linalg as linalg

from actionc.errors import RunError


def implicit_euler(
    operator: Callable[[float], sparse.spmatrix],
    p0: np.ndarray,
    dt: float,
    steps: int,
    save_every: int,
    time_dependent: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """The saved times and densities (saves, cells) of `steps` implicit Euler
    steps from p0; operator(t) is L at time t (built once unless it changes)."""
    identity = sparse.identity(p0.size, format="csc")
    solve = None
    p = p0.astype(float).copy()
    saves = np.empty((steps // save_every + 1, p.size))  # allocated once: the memory guard counts it
    saves[0] = p
    for step in range(1, steps + 1):
        if solve is None or time_dependent:
            solve = factorize(identity - dt * operator(step * dt)).solve
        p = solve(p)
        if step % save_every == 0:
            saves[step // save_every] = p
    return np.arange(len(saves)) * save_every * dt, saves


def factorize(A: sparse.spmatrix, ordering: str = "MMD_AT_PLUS_A") -> linalg.SuperLU:
    """The sparse LU of A, or a RunError when it does not fit in memory. The
    default ordering, minimum degree on the structure of A + Aᵀ, has a third
    of COLAMD's fill on 2-D grids."""
    try:
        return linalg.splu(A.tocsc(), permc_spec=ordering)
    except MemoryError:
        raise RunError(
            f"the sparse LU of the {A.shape[0]}-cell operator does not fit in memory",
            hint="fewer cells per axis, or particles: actionc run",
        ) from None


def stationary(L: sparse.spmatrix, volume: float) -> np.ndarray:
    """The null vector of L normalized to Σ p · volume = 1: L p = 0 with its
    first row replaced by the normalization. That row is redundant: the
    columns of a conserving L sum to zero (1ᵀL = 0), so its rows add up to
    zero and any one of them follows from the others."""
    n = L.shape[0]
    first = sparse.csr_matrix((np.full(n, volume), (np.zeros(n, dtype=int), np.arange(n))), shape=(n, n))
    keep = sparse.diags(np.r_[0.0, np.ones(n - 1)])
    rhs = np.zeros(n)
    rhs[0] = 1.0
    try:
        p = factorize(keep @ L + first, "COLAMD").solve(rhs)  # COLAMD: the dense first row
    except RuntimeError:  # singular: the chain of cells is not connected
        raise RunError(
            "the operator has more than one stationary density (cells that never exchange probability)",
            hint="widen the grid or add noise along every axis",
        ) from None
    return p


def slowest_eigenvalues(L: sparse.spmatrix, count: int) -> np.ndarray:
    """The `count` eigenvalues of L nearest zero, by shift-invert Arnoldi
    (ARPACK through SciPy), as decay rates −λ sorted ascending: 0 first for
    a conserving operator, then the relaxation (or escape) rates. The shift
    sits just right of the spectrum, which lies in Re λ ≤ 0."""
    n = L.shape[0]
    count = min(count, n - 2)
    scale = abs(L).sum(axis=0).max()
    shift = 1e-9 * scale
    try:
        values = linalg.eigs(L.tocsc(), k=count, sigma=shift, which="LM", return_eigenvectors=False, tol=1e-12)
    except linalg.ArpackError as error:  # ArpackNoConvergence included
        raise RunError(
            f"the {count} slowest eigenvalues did not converge ({error})",
            hint="fewer --eigenvalues, or a coarser grid",
        ) from None
    rates = -values
    order = np.argsort(rates.real)
    rates = rates[order]
    return rates.real if np.all(np.abs(rates.imag) <= 1e-9 * max(1.0, np.abs(rates).max())) else rates


def free_energy(p: np.ndarray, energy: np.ndarray, temperature: float, volume: float) -> np.ndarray:
    """F[p] = ∫ p (E + T log p) dx at the cells for each density in p (last
    axis: cells), 0 log 0 = 0. The Fokker–Planck equation of an energy model is
    the Wasserstein gradient flow of F (Jordan, Kinderlehrer & Otto 1998)."""

    def one(q):  # a save at a time: no temporaries the size of all saves
        with np.errstate(divide="ignore", invalid="ignore"):
            entropy = np.where(q > 0, q * np.log(np.where(q > 0, q, 1.0)), 0.0)
        return volume * (q @ energy + temperature * entropy.sum())

    return one(p) if p.ndim == 1 else np.array([one(q) for q in p])


def gibbs(energy: np.ndarray, temperature: float, volume: float) -> np.ndarray:
    """exp(−E/T) at the cells, normalized to Σ p · volume = 1."""
    weights = np.exp(-(energy - energy.min()) / temperature)
    return weights / (weights.sum() * volume)
