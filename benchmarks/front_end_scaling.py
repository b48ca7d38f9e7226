"""Time of the front end (parse and resolve) against the size of the model
text, for the shapes that were super-linear (issue 19): many `param` lines,
one long sum, many comments, many lets. Each size doubles the last; a linear
front end shows a ratio near 2 between neighbouring rows, a quadratic one 4.

    python benchmarks/front_end_scaling.py [--largest KB]

Sizes stop below the largest model actionc reads (actionc.lang.MAX_SOURCE).
"""

from __future__ import annotations

import argparse
import time

import actionc
from actionc.lang import MAX_SOURCE


def params(n: int) -> str:
    body = "".join(f"param k{i} = {i % 7 + 1}/{i % 5 + 2}\n" for i in range(n))
    return "model m\n" + body + "state x\nenergy = x^2\n"


def long_sum(n: int) -> str:
    return "model m\nstate x\nenergy = " + " + ".join(f"{i % 7 + 1}*x^{i % 5 + 1}" for i in range(n)) + "\n"


def comments(n: int) -> str:
    body = "".join(f"# about k{i}\nparam k{i} = {i + 1}  # inline\n" for i in range(n))
    return "model m\n" + body + "state x\nenergy = x^2\n"


def lets(n: int) -> str:
    body = "".join(f"let a{i} = {f'a{i - 1}' if i else 'x'} + sin({i}*x)\n" for i in range(n))
    return "model m\nstate x\n" + body + f"energy = a{n - 1}^2\n"


SHAPES = {"params": params, "sum": long_sum, "comments": comments, "lets": lets}


def seconds(text: str) -> tuple[float, str]:
    start = time.perf_counter()
    try:
        actionc.parse(text)
        outcome = "model"
    except actionc.ModelError as error:
        outcome = f"refused: {error.message[:60]}"
    return time.perf_counter() - start, outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--largest", type=int, default=MAX_SOURCE // 1024, help="largest text, in KB")
    largest = parser.parse_args().largest * 1024
    actionc.parse("model warm\nstate x\nenergy = x^2\n")  # grammar and SymPy caches
    print(f"{'shape':<9} {'n':>7} {'KB':>7} {'seconds':>8} {'µs/char':>8} {'ratio':>6}  outcome")
    for name, shape in SHAPES.items():
        n, previous = 125, None
        while len(text := shape(n)) <= largest:
            elapsed, outcome = seconds(text)
            ratio = f"{elapsed / previous:6.2f}" if previous else " " * 6
            size = len(text) / 1024
            print(f"{name:<9} {n:>7} {size:>7.1f} {elapsed:>8.3f} {1e6 * elapsed / len(text):>8.1f} {ratio}  {outcome}")
            n, previous = 2 * n, elapsed
    text = long_sum(100_000)  # the 100,000-term sum of issue 19
    elapsed, outcome = seconds(text)
    print(f"{'sum':<9} {100_000:>7} {len(text) / 1024:>7.1f} {elapsed:>8.3f} {'':>8} {'':>6}  {outcome}")
    print("command: python benchmarks/front_end_scaling.py")


if __name__ == "__main__":
    main()
