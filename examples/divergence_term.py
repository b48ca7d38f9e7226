"""Why the reverse-time SDE has its −∇·(g gᵀ) term: with state-dependent
noise, dropping it transports the wrong density.

widening_noise.act has p_t = N(0, 1 + t) exactly. Its reverse-time SDE,
derived by actionc, ends at N(0, 1); the same SDE written by hand without
the divergence term (here: −2x) ends visibly too wide.

    python examples/divergence_term.py
"""

from pathlib import Path

import numpy as np

import actionc

HERE = Path(__file__).parent

# kernel time t runs 0 → T = 2 while the model's runs 2 → 0; f − D ∇log p without −∇·D
WITHOUT_DIVERGENCE = """
model dropped "the reverse of widening_noise.act, without the divergence term"
state x
dx = -((x - x^3/(2*(3 - t))) + (1 + x^2)*x/(3 - t)) dt + sqrt(1 + x^2) dW
init x = normal(0, sqrt(3))
"""

runs = {
    "derived by actionc": actionc.compile(HERE / "widening_noise.act", "reverse-em"),
    "without −∇·(g gᵀ)": actionc.compile(actionc.parse(WITHOUT_DIVERGENCE), "euler-maruyama"),
}
print(f"{'reverse-time SDE':<22} {'std at t = 0':>14}   (exact: 1)")
for name, compiled in runs.items():
    samples = compiled.run(dt=2e-3, steps=1000, particles=20_000, seed=1, save_every=1000).x[-1, :, 0]
    print(f"{name:<22} {np.std(samples):>14.4f}")
