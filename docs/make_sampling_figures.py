"""Regenerate the pictures and numbers of docs/sampling.md: the two wells of
examples/two_wells.act sampled by NUTS (stuck) and by tempering (mixing).

    python docs/make_sampling_figures.py
"""

from pathlib import Path

import actionc
from actionc.plot import plot
from actionc.run import diagnostics

ROOT = Path(__file__).parents[1]
OUT = ROOT / "docs" / "gallery"
WELLS = ROOT / "examples" / "two_wells.act"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    runs = {
        "nuts": actionc.compile(WELLS, "nuts").run(dt=0.1, steps=2000, particles=8, seed=1, save_every=1, warmup=1000),
        "tempering": actionc.compile(WELLS, "tempering").run(
            dt=0.01, steps=20000, particles=8, seed=1, save_every=10, warmup=2000, replicas=8, hottest=16.0
        ),
    }
    for method, result in runs.items():
        plot(result, "trace", OUT / f"sampling_two_wells_{method}_trace.png")
        left = (result.x[1:, :, 0] < 0).mean()
        print(f"{method}: P(x < 0) = {left:.3f}")
        print(result.summary())
        print(diagnostics.summary(result))
    plot(runs["tempering"], "pairs", OUT / "sampling_two_wells_tempering_pairs.png")


if __name__ == "__main__":
    main()
