"""Derivation time of an N-link planar pendulum chain: actionc (parse and
lower to a System, mass-matrix form) next to sympy.physics.mechanics
(LagrangesMethod: form the equations, the mass matrix and the forcing).
Both stop at M(q) q'' = F; neither inverts M symbolically.

    python benchmarks/chain_derivation.py [N_MAX]
"""

import sys
import time

import sympy
from sympy.physics import mechanics as spm

import actionc
from actionc.lower import lower
from actionc.testing.text import pendulum_chain


def time_actionc(n: int) -> float:
    start = time.perf_counter()
    system = lower(actionc.parse(pendulum_chain(n)), mass_matrix=True)
    assert system.mass_matrix is not None
    return time.perf_counter() - start


def time_sympy_mechanics(n: int) -> float:
    start = time.perf_counter()
    m, l, g = sympy.symbols("m l g")
    q = spm.dynamicsymbols(f"q1:{n + 1}")
    t = spm.dynamicsymbols._t
    x = y = 0
    L = 0
    for qi in q:
        x, y = x + l * sympy.sin(qi), y - l * sympy.cos(qi)
        L += m * (sympy.diff(x, t) ** 2 + sympy.diff(y, t) ** 2) / 2 - m * g * y
    method = spm.LagrangesMethod(L, q)
    method.form_lagranges_equations()
    method.mass_matrix, method.forcing  # noqa: B018 (forms both)
    return time.perf_counter() - start


def main() -> None:
    n_max = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    print(f"{'N':>3}  {'actionc [s]':>12}  {'LagrangesMethod [s]':>20}  {'ratio':>6}")
    for n in range(2, n_max + 1):
        ours, theirs = time_actionc(n), time_sympy_mechanics(n)
        print(f"{n:>3}  {ours:>12.2f}  {theirs:>20.2f}  {theirs / ours:>5.1f}x")
    print(f"\n(python {' '.join(sys.argv)}; sympy {sympy.__version__}, actionc {actionc.__version__})")


if __name__ == "__main__":
    main()
