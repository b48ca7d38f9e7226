"""Densities on grids: the Fokker–Planck equation of an SDE or energy model,
solved by conservative finite volumes (docs/density.md)."""

from actionc.run.density.result import DensityResult
from actionc.run.density.solve import Problem, discretize, solve

__all__ = ["DensityResult", "Problem", "discretize", "solve"]
