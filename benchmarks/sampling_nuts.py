"""NUTS side by side, in one process: actionc against NumPyro's and BlackJAX's
NUTS on CPU — the same algorithm (multinomial sampling, generalized U-turn,
tree depth ≤ 10, Stan's windowed warm-up of a diagonal mass matrix, dual
averaging to an acceptance of 0.8), float64, the same chains × draws, one
thread each (JAX's chains run one after another).

    python benchmarks/sampling_nuts.py [--quick] [--chains 4] [--draws 1000]

(a) a 100-dimensional correlated Gaussian, condition number 100 (tridiagonal
    precision, as tests/run/test_hmc.py's banded_gaussian_model)
(b) the eight schools, non-centred (examples/eight_schools.act)
(c) the Bayesian logistic regression of examples/logistic_regression.act (an
    indexed model: 569 rows of data, 31 parameters), the same log density in
    JAX written as NumPyro users write it (X @ w, logaddexp)

Per sampler and case: the wall time of warm-up + draws (each sampler has run
once before, so no compiling is timed; actionc's compile time is shown apart),
the gradient evaluations of the draws (after warm-up), the smallest bulk ESS
over the parameters (actionc's diagnostics for all three, Vehtari et al.
2021), and from these ESS per gradient and ESS per second, with their ratios
to NumPyro's. The numbers are those of one seed: ESS itself is noisy (±10–20%
at these sizes), so a ratio near 1 means "the same".

Needs numpyro and blackjax (pip install numpyro blackjax, in an environment
of their own: they bring JAX).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

jax.config.update("jax_enable_x64", True)

import blackjax  # noqa: E402
import numpyro  # noqa: E402
from numpyro.infer import NUTS  # noqa: E402

import actionc  # noqa: E402
from actionc.run import diagnostics  # noqa: E402

EXAMPLES = Path(__file__).parent.parent / "examples"
Y = np.array([28, 8, -3, 7, -1, 1, 18, 12.0])
SIGMA = np.array([15, 10, 16, 11, 9, 11, 10, 18.0])


# ---- the cases: an .act text or file and the same log density in JAX ------------------


def gaussian(n: int, condition: float):
    """A correlated Gaussian with a tridiagonal precision (1 on the diagonal,
    −a beside it, a set for the condition number), as tests/run/test_hmc.py's
    banded_gaussian_model: a dense 100-D precision is beyond the 128 KB a
    model may have, until indexed models."""
    a = (condition - 1) / (condition + 1) / (2 * np.cos(np.pi / (n + 1)))
    mean = np.linspace(-1.0, 1.0, n)
    d = [f"(x{i} {'-' if m >= 0 else '+'} {abs(float(m))!r})" for i, m in enumerate(mean)]
    squares = " + ".join(f"{d[i]}^2" for i in range(n))
    neighbours = " + ".join(f"{d[i]}*{d[i + 1]}" for i in range(n - 1))
    names = ", ".join(f"x{i}" for i in range(n))
    text = f"model gaussian\nparam T = 1\nstate {names}\nenergy = (({squares})/2\n    - {float(a)!r}*({neighbours}))\n"
    text += "temperature = T\n"
    m = jnp.asarray(mean)

    def logdensity(x):
        y = x - m
        return -0.5 * y @ y + a * y[:-1] @ y[1:]

    return text, logdensity


def eight_schools():
    """The model of examples/eight_schools.act: (mu, log_tau, z1..z8)."""
    y, sigma = jnp.asarray(Y), jnp.asarray(SIGMA)

    def logdensity(x):
        mu, log_tau, z = x[0], x[1], x[2:]
        tau = jnp.exp(log_tau)
        prior = -(mu**2) / 50 - jnp.log1p(tau**2 / 25) + log_tau - 0.5 * z @ z
        return prior - 0.5 * jnp.sum(((y - mu - tau * z) / sigma) ** 2)

    return EXAMPLES / "eight_schools.act", logdensity


def logistic_regression():
    """The model of examples/logistic_regression.act: (w1..w30, b), priors N(0, 2.5²)."""
    table = np.loadtxt(EXAMPLES / "data" / "breast_cancer.csv", delimiter=",", skiprows=1)
    X, y = jnp.asarray(table[:, :30]), jnp.asarray(table[:, 30])

    def logdensity(x):
        w, b = x[:30], x[30]
        return -jnp.sum(jnp.logaddexp(0.0, -y * (X @ w + b))) - (w @ w + b * b) / (2 * 2.5**2)

    return EXAMPLES / "logistic_regression.act", logdensity


# ---- the samplers: (draws × chains × n, gradient evaluations after warm-up) --------


def run_actionc(compiled, names: list[str], chains: int, draws: int, seed: int):
    starts = np.random.default_rng(seed).uniform(-2, 2, (len(names), chains))  # as Stan, NumPyro, here
    init = dict(zip(names, starts))
    result = compiled.run(
        dt=0.1, steps=draws, particles=chains, seed=seed, save_every=1, warmup=draws, threads=1, init=init
    )
    return result.x[1:], result.meta["stats"]["gradients"], result.meta["stats"]["acceptance_rate"]


def numpyro_sampler(logdensity, n: int, chains: int, draws: int):
    """NumPyro's NUTS kernel stepped by lax.scan, warm-up included (its sample
    step adapts while state.i < num_warmup): MCMC.run itself recompiles on
    every call, which would time XLA, not the sampler."""
    kernel = NUTS(potential_fn=lambda x: -logdensity(x), target_accept_prob=0.8, max_tree_depth=10)

    def step(state, _):
        state = kernel.sample(state, (), {})
        return state, (state.z, state.num_steps, state.mean_accept_prob)

    scan = jax.jit(lambda state: jax.lax.scan(step, state, None, length=2 * draws)[1])

    def run(seed: int):
        keys = jax.random.split(jax.random.PRNGKey(seed), 2 * chains)
        out = []
        for c in range(chains):
            init = jax.random.uniform(keys[chains + c], (n,), minval=-2, maxval=2)
            positions, steps, accept = scan(kernel.init(keys[c], draws, init, (), {}))
            out.append((np.asarray(positions[draws:]), float(jnp.sum(steps[draws:])), float(accept[-1])))
        samples = np.stack([positions for positions, _, _ in out], axis=1)
        return samples, sum(steps for _, steps, _ in out), np.mean([accept for _, _, accept in out])

    return run


def blackjax_sampler(logdensity, n: int, chains: int, draws: int):
    @jax.jit
    def chain(key, position):
        warm, sample = jax.random.split(key)
        adaptation = blackjax.window_adaptation(blackjax.nuts, logdensity, target_acceptance_rate=0.8)
        (state, parameters), _ = adaptation.run(warm, position, num_steps=draws)
        nuts = blackjax.nuts(logdensity, **parameters)

        def step(state, key):
            state, info = nuts.step(key, state)
            return state, (state.position, info.num_integration_steps, info.acceptance_rate)

        _, (positions, steps, accept) = jax.lax.scan(step, state, jax.random.split(sample, draws))
        return positions, jnp.sum(steps), jnp.mean(accept)

    def run(seed: int):
        keys = jax.random.split(jax.random.PRNGKey(seed), 2 * chains)
        out = [chain(keys[c], jax.random.uniform(keys[chains + c], (n,), minval=-2, maxval=2)) for c in range(chains)]
        samples = np.stack([np.asarray(positions) for positions, _, _ in out], axis=1)  # draws × chains × n
        return samples, float(sum(steps for _, steps, _ in out)), float(np.mean([a for _, _, a in out]))

    return run


# ---- measuring ------------------------------------------------------------------------


def measure(run, seed: int):
    run(seed + 100)  # compiles (JAX traces and compiles the whole sampler on its first call)
    start = time.perf_counter()
    samples, gradients, accept = run(seed)
    seconds = time.perf_counter() - start
    ess = min(diagnostics.ess_bulk(samples[:, :, k]) for k in range(samples.shape[2]))
    rhat = max(diagnostics.rhat(samples[:, :, k]) for k in range(samples.shape[2]))
    return {"seconds": seconds, "gradients": gradients, "ess": ess, "rhat": rhat, "accept": accept}


def case(name: str, model: str | Path, logdensity, chains: int, draws: int, seed: int) -> list[str]:
    """model: an example's path, or a model's text."""
    if isinstance(model, str):
        text, model = model, Path(tempfile.mkdtemp()) / "model.act"
        model.write_text(text)
    start = time.perf_counter()
    compiled = actionc.compile(model, "nuts")
    names = compiled.run(dt=0.1, steps=2, particles=1, warmup=2).names  # Numba's compile, if not cached
    compile_seconds = time.perf_counter() - start
    n = len(names)
    rows = {
        "actionc": measure(lambda s: run_actionc(compiled, names, chains, draws, s), seed),
        "numpyro": measure(numpyro_sampler(logdensity, n, chains, draws), seed),
        "blackjax": measure(blackjax_sampler(logdensity, n, chains, draws), seed),
    }
    reference = rows["numpyro"]
    lines = [
        f"({name}) {n}-D, {chains} chains × {draws} draws after {draws} warm-up; actionc compiled in "
        f"{compile_seconds:.1f} s (SymPy + Numba, cached after)"
    ]
    lines.append(
        f"  {'sampler':<9} {'seconds':>8} {'grads':>9} {'grads/draw':>10} {'min ESS':>8} {'max R-hat':>9} "
        f"{'accept':>6} {'ESS/grad':>9} {'ESS/s':>8} {'ESS/grad vs NumPyro':>20} {'ESS/s vs NumPyro':>17}"
    )
    for sampler, row in rows.items():
        per_gradient, per_second = row["ess"] / row["gradients"], row["ess"] / row["seconds"]
        ratio_gradient = per_gradient / (reference["ess"] / reference["gradients"])
        ratio_second = per_second / (reference["ess"] / reference["seconds"])
        lines.append(
            f"  {sampler:<9} {row['seconds']:>8.2f} {row['gradients']:>9.0f} "
            f"{row['gradients'] / (chains * draws):>10.1f} "
            f"{row['ess']:>8.0f} {row['rhat']:>9.3f} {row['accept']:>6.3f} {per_gradient:>9.4f} {per_second:>8.0f} "
            f"{ratio_gradient:>19.2f}x {ratio_second:>16.2f}x"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a 20-D Gaussian and 300 draws: a smoke test")
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    draws = 300 if args.quick else args.draws
    dimension = 20 if args.quick else 100
    print(
        f"actionc {actionc.__version__}, numpyro {numpyro.__version__}, blackjax {blackjax.__version__}, "
        f"jax {jax.__version__}; one thread each"
    )
    lines = case("a", *gaussian(dimension, 100.0), args.chains, draws, args.seed)
    lines += case("b", *eight_schools(), args.chains, draws, args.seed)
    lines += case("c", *logistic_regression(), args.chains, draws, args.seed)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
