"""Hamiltonian Monte Carlo and NUTS: exact sampling of exp(−E/T), checked
against known moments within the Monte Carlo error measured from the runs'
own effective sample sizes, against the double well's Gibbs marginal, on a
funnel that must report divergences, and for bit-reproducibility. Each
test with a tolerance has a negative control that shows it can fail."""

import math

import numpy as np
import pytest

import actionc
from actionc.run import diagnostics
from tests.conftest import EXAMPLE_DIR
from tests.run import reference
from tests.run.reference import Stream
from tests.run.test_statistics import chi_square, gibbs_marginal_x


def gaussian_model(n: int, condition: float, seed: int = 0):
    """A correlated Gaussian energy ½(x − m)ᵀΣ⁻¹(x − m) with Σ's eigenvalues
    log-spaced over `condition` (a random rotation), written out term by
    term (SymPy differentiates that far faster than ½|A(x − m)|²): the
    text, m and Σ."""
    rng = np.random.default_rng(seed)
    rotation, _ = np.linalg.qr(rng.normal(size=(n, n)))
    cov = rotation @ np.diag(np.geomspace(1.0, condition, n)) @ rotation.T / np.sqrt(condition)
    mean = np.linspace(-1.0, 1.0, n)
    precision = np.linalg.inv(cov)
    d = [f"(x{i} {'-' if m >= 0 else '+'} {abs(float(m))!r})" for i, m in enumerate(mean)]
    terms = []
    for i in range(n):
        terms.append(f"{float(precision[i, i]) / 2!r}*{d[i]}^2")
        terms += [f"({float(precision[i, j])!r})*{d[i]}*{d[j]}" for j in range(i + 1, n)]
    body = "\n    + ".join(terms)
    names = ", ".join(f"x{i}" for i in range(n))
    return f"model gaussian\nparam T = 1\nstate {names}\nenergy = ({body})\ntemperature = T\n", mean, cov


def banded_gaussian_model(n: int, condition: float):
    """A correlated Gaussian whose precision is tridiagonal, 1 on the diagonal
    and −a beside it, a set for the condition number (eigenvalues
    1 − 2a cos(kπ/(n+1))): ½Σ d_i² − aΣ d_i d_{i+1} with d = x − m. Its
    text grows as n, where a dense precision's grows as n² (a 100-D one is
    beyond the 128 KB a model may have); most of its condition is
    correlation, which a diagonal mass matrix cannot undo."""
    c = np.cos(np.pi / (n + 1))
    a = (condition - 1) / (condition + 1) / (2 * c)
    precision = np.eye(n) - a * (np.eye(n, k=1) + np.eye(n, k=-1))
    mean = np.linspace(-1.0, 1.0, n)
    d = [f"(x{i} {'-' if m >= 0 else '+'} {abs(float(m))!r})" for i, m in enumerate(mean)]
    squares = " + ".join(f"{d[i]}^2" for i in range(n))
    neighbours = " + ".join(f"{d[i]}*{d[i + 1]}" for i in range(n - 1))
    names = ", ".join(f"x{i}" for i in range(n))
    energy = f"(({squares})/2\n    - {float(a)!r}*({neighbours}))"
    text = f"model gaussian\nparam T = 1\nstate {names}\nenergy = {energy}\ntemperature = T\n"
    return text, mean, np.linalg.inv(precision)


def moment_z_scores(draws: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """(estimate − truth) / MCSE for every mean and every covariance entry,
    each MCSE from the ESS of its own series (draws: draws × chains × n)."""
    n = len(mean)
    scores = [(draws[:, :, i].mean() - mean[i]) / diagnostics.mcse_mean(draws[:, :, i]) for i in range(n)]
    centred = draws - mean
    for i in range(n):
        for j in range(i, n):
            product = centred[:, :, i] * centred[:, :, j]
            scores.append((product.mean() - cov[i, j]) / diagnostics.mcse_mean(product))
    return np.array(scores)


def check_gaussian(method: str, n: int, condition: float, tmp_path, chains: int, draws: int, warmup: int, model=None):
    text, mean, cov = (model or gaussian_model)(n, condition)
    path = tmp_path / "gaussian.act"
    path.write_text(text)
    compiled = actionc.compile(path, method)
    result = compiled.run(dt=0.1, steps=draws, particles=chains, seed=11, save_every=1, warmup=warmup)
    scores = moment_z_scores(result.x[1:], mean, cov)
    # n + n(n+1)/2 z-scores, each ≈ N(0, 1) for an exact sampler: P(max |z| > 5) < 1e-3
    assert np.abs(scores).max() < 5, np.abs(scores).max()
    rows = diagnostics.diagnose(result)
    assert max(r.rhat for r in rows) < 1.01
    assert min(r.ess_bulk for r in rows) > 400  # enough draws for the check to have power
    assert result.meta["stats"]["divergences"] == 0  # a Gaussian has nothing to diverge on
    # negative control: the same check rejects draws at a 30% higher temperature
    hot = compiled.run(dt=0.1, steps=draws, particles=chains, seed=11, save_every=1, warmup=warmup, params={"T": 1.3})
    assert np.abs(moment_z_scores(hot.x[1:], mean, cov)).max() > 5


def test_nuts_reproduces_a_correlated_gaussian_of_condition_number_100(tmp_path):
    # 8-D in the default run: SymPy's derivation of a dense 20-D energy alone takes ~10 s
    check_gaussian("nuts", 8, 100.0, tmp_path, chains=8, draws=1000, warmup=500)


@pytest.mark.slow
@pytest.mark.parametrize("method", ["nuts", "hmc"])
def test_a_20_d_dense_correlated_gaussian_of_condition_number_100(method, tmp_path):
    check_gaussian(method, 20, 100.0, tmp_path, chains=8, draws=2000, warmup=1000)


@pytest.mark.slow
@pytest.mark.parametrize("method", ["nuts", "hmc"])
def test_a_100_d_correlated_gaussian_of_condition_number_100(method, tmp_path):
    check_gaussian(method, 100, 100.0, tmp_path, chains=8, draws=2000, warmup=1000, model=banded_gaussian_model)


def test_the_banded_gaussian_has_the_condition_number_it_says():
    _, _, cov = banded_gaussian_model(100, 100.0)
    eigenvalues = np.linalg.eigvalsh(cov)
    assert eigenvalues.max() / eigenvalues.min() == pytest.approx(100.0, rel=1e-9)
    scale = 1 / np.sqrt(np.diag(cov))
    correlation = np.linalg.eigvalsh(cov * scale[:, None] * scale[None, :])
    assert correlation.max() / correlation.min() > 50  # what is left once a diagonal M has rescaled each variable


def double_well_histogram(compiled, temperature: float):
    """The x of the last draw of each of 10 000 independent chains, binned."""
    result = compiled.run(
        dt=0.1, steps=10, particles=10_000, seed=3, save_every=10, warmup=200, params={"T": temperature}
    )
    edges = np.linspace(-2, 2, 41)
    counts, _ = np.histogram(result.x[-1, :, 0], bins=edges)
    return counts, gibbs_marginal_x(edges, 0.5)


@pytest.mark.parametrize("method", ["nuts", pytest.param("hmc", marks=pytest.mark.slow)])
def test_the_double_well_gibbs_marginal(method):
    compiled = actionc.compile(EXAMPLE_DIR / "double_well.act", method)
    statistic, dof = chi_square(*double_well_histogram(compiled, 0.5))
    # chi-square with dof ≈ 35: mean 35, std ≈ 8.4, so 2x dof is far in the tail for an exact sampler
    assert statistic < 2 * dof, (statistic, dof)
    # negative control: the draws at T = 1 against the marginal at T = 0.5
    wrong, dof = chi_square(*double_well_histogram(compiled, 1.0))
    assert wrong > 10 * dof


FUNNEL = """model funnel "Neal's funnel, 10-D"
state v, x1, x2, x3, x4, x5, x6, x7, x8, x9
energy = v^2/18 + 9*v/2 + (x1^2 + x2^2 + x3^2 + x4^2 + x5^2 + x6^2 + x7^2 + x8^2 + x9^2)*exp(-v)/2
temperature = 1
"""


@pytest.mark.parametrize("method", ["nuts", pytest.param("hmc", marks=pytest.mark.slow)])
def test_divergences_on_neals_funnel_are_reported_per_chain(method, tmp_path):
    path = tmp_path / "funnel.act"
    path.write_text(FUNNEL)
    result = actionc.compile(path, method).run(dt=0.1, steps=500, particles=32, seed=5, save_every=1, warmup=500)
    per_chain = result.meta["divergences_per_chain"]
    assert len(per_chain) == 32 and sum(per_chain) == result.meta["stats"]["divergences"] > 0
    summary = diagnostics.summary(result)
    assert "divergent transitions" in summary
    # where: each chain's first divergent draw, and the state its trajectory left from: the funnel's neck,
    # where v is low and the scale of x, e^(v/2), is too small for the adapted step
    chains = result.meta["divergences"]
    assert [c["chain"] for c in chains] == [i for i, d in enumerate(per_chain) if d]
    assert [c["count"] for c in chains] == [d for d in per_chain if d]
    assert all(1 <= c["first_draw"] <= 500 and list(c["from"]) == result.names for c in chains)
    # v ~ N(0, 3): most first divergences leave from its lower half (the median of 10-20 chains' first
    # divergences is -0.6 to -2.5 over seeds 1-8; of 4 chains' it was not robust)
    assert np.median([c["from"]["v"] for c in chains]) < 0
    assert f"chain {chains[0]['chain']}: {chains[0]['count']} divergent, the first at draw" in summary
    # (the negative control, a Gaussian without divergences, is in check_gaussian)


def test_hmc_without_warm_up_is_the_textbook_step():
    # warmup 0: step dt, identity mass, ceil(L/dt) leapfrog steps; the same random draws as the kernel
    compiled = actionc.compile(EXAMPLE_DIR / "double_well.act", "hmc")
    dt, steps, seed, length = 0.2, 30, 8, 1.0
    result = compiled.run(dt=dt, steps=steps, particles=2, seed=seed, save_every=1, warmup=0, trajectory_length=length)
    energy, score = compiled.function("energy"), compiled.function("score")
    T = 0.5
    accepted = 0.0
    for particle in range(2):
        s = Stream(compiled, seed, particle)
        q = np.array([-1.0, 0.5 * s.normal()])  # init: x = -1, y = normal(0, 0.5)
        for _ in range(steps):
            r = np.array([s.normal(), s.normal()])
            potential = lambda z: float(energy(z)) / T  # noqa: E731
            q, accept = reference.hmc(potential, lambda z: -score(z), q, dt, math.ceil(length / dt), r, s.uniform())
            accepted += accept
        np.testing.assert_allclose(result.x[-1, particle], q, rtol=1e-9, atol=1e-10)  # 300 fused leapfrog steps
    np.testing.assert_allclose(result.meta["stats"]["accepted"], accepted, rtol=1e-9)
    # ∇U at the start of a draw is the one the last draw left: evaluated once per chain, at its first draw
    assert result.meta["stats"]["gradients"] == 2 * (1 + steps * math.ceil(length / dt))


@pytest.mark.parametrize("method", ["nuts", "hmc"])
def test_a_seed_fixes_every_bit_whatever_the_threads_and_chunks(method):
    compiled = actionc.compile(EXAMPLE_DIR / "double_well.act", method)

    def run(**options):
        settings = dict(dt=0.1, steps=60, particles=16, seed=7, save_every=1, warmup=40)
        return compiled.run(**{**settings, **options})

    one = run(threads=1)
    assert np.array_equal(one.x, run(threads=2).x)
    assert np.array_equal(one.x, run(threads=2, chunk_steps=7).x)
    assert np.array_equal(one.x[:, :4], run(particles=4).x)  # particle i alone is particle i in a crowd
    assert one.meta["stats"] == run(threads=2).meta["stats"]
    assert not np.array_equal(one.x, run(seed=8).x)


def test_warm_up_draws_are_not_saved_and_adapt_the_step():
    compiled = actionc.compile(EXAMPLE_DIR / "double_well.act", "nuts")
    cold = compiled.run(dt=1e-3, steps=50, particles=4, seed=2, save_every=1, warmup=0)
    warm = compiled.run(dt=1e-3, steps=50, particles=4, seed=2, save_every=1, warmup=300)
    assert warm.x.shape == cold.x.shape and warm.meta["warmup"] == 300 and warm.meta["steps"] == 50
    # from dt = 1e-3 the step grows: fewer gradients per draw once warmed up
    per_draw = lambda r: r.meta["stats"]["gradients"] / r.meta["stats"]["proposed"]  # noqa: E731
    assert per_draw(warm) < per_draw(cold) / 10
    # and the mean acceptance statistic is near the target (0.8; ESS of 200 draws: generous)
    assert 0.65 < warm.meta["stats"]["acceptance_rate"] < 0.97


def first_step(compiled, dt: float, warmup: int) -> float:
    """ε₀ of a chain's first draw from dt: exp(μ)/10, μ being dual averaging's log 10ε₀."""
    control = [0.0] * compiled.meta.control
    control[0], control[1] = float(warmup), 0.8
    stream = Stream(compiled, 3, 0).state
    _, _, control, _, _ = compiled.numba("advance")(
        (-1.0, 0.2), 0.0, dt, np.array([0.5]), stream, tuple(control), (0.0,) * len(compiled.meta.stats)
    )
    return math.exp(control[7]) / 10


@pytest.mark.parametrize("method", ["nuts", "hmc"])
def test_the_first_step_size_is_stans_heuristic_whatever_dt(method):
    compiled = actionc.compile(EXAMPLE_DIR / "double_well.act", method)
    # doubling or halving from dt until one leapfrog step crosses acceptance 0.8: for the double well at
    # T = 0.5 (curvature 8 / T in x) that is ε ≈ 0.25–0.5, from a dt nine orders of magnitude either way
    steps = [first_step(compiled, dt, warmup=100) for dt in (1e-6, 1e3)]
    assert all(0.1 < step < 2 for step in steps), steps
    # negative control: without warm-up the first step is dt itself
    assert first_step(compiled, 1e-6, warmup=0) == pytest.approx(1e-6)
