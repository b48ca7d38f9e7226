"""Eyring–Kramers rates next to simulated ones, for the 2-D double well and
a Müller–Brown transition: the landscape's critical points and
minimum-energy path (string method) predict the rate; 2000 compiled
overdamped Langevin particles measure it from their first passages.

    python examples/transition_rates.py
"""

from pathlib import Path

import actionc
from actionc.run import landscape

HERE = Path(__file__).parent

CASES = [
    # model, temperature, from, to, time step, censoring time
    ("double_well", 0.2, (-1.0, 0.0), (1.0, 0.0), 2e-3, 500.0),
    ("muller_brown", 1.5, (-0.05, 0.47), (0.62, 0.03), 1e-4, 10.0),
]

print(f"{'model':<14} {'barrier':>10} {'Kramers rate':>14} {'simulated':>12} {'ratio':>7}  arrived")
for name, T, start, end, dt, t_end in CASES:
    compiled = actionc.compile(HERE / f"{name}.act")
    path = landscape.minimum_energy_path(compiled, start, end, params={"T": T})
    first, saddle, second = path.points[:3]  # the first hop on the path
    predicted = landscape.kramers_rate(first, saddle, temperature=T)
    measured, arrived = landscape.escape_rate(
        compiled, first.x, second.x, 0.1, dt=dt, t_end=t_end, particles=2000, params={"T": T}, every=100
    )
    barrier = saddle.energy - first.energy
    print(
        f"{name:<14} {barrier / T:>8.2f} T {predicted:>14.4g} {measured:>12.4g} {measured / predicted:>7.3f}"
        f"  {arrived:.0%}"
    )
