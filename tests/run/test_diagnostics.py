"""The diagnostics against a reference written from the paper (Vehtari,
Gelman, Simpson, Carpenter & Bürkner 2021: eqs. 3–4 and 10–14, Geyer's
initial monotone sequence as in its Appendix A), with loops and direct
sums instead of FFTs and array tricks, and on cases with known answers."""

import math
from statistics import NormalDist

import numpy as np
import pytest

from actionc.cli import main
from actionc.run import diagnostics
from actionc.run.result import Result
from tests.conftest import EXAMPLE_DIR

# ---- the reference: chains as lists of lists, one draw at a time ----


def ref_split(chains):
    half = len(chains[0]) // 2
    return [c[:half] for c in chains] + [c[len(c) - half :] for c in chains]


def ref_rank_normalize(chains):
    flat = [v for c in chains for v in c]
    order = sorted(range(len(flat)), key=lambda k: flat[k])
    ranks = [0.0] * len(flat)
    start = 0
    while start < len(order):  # ties share their average rank
        end = start
        while end + 1 < len(order) and flat[order[end + 1]] == flat[order[start]]:
            end += 1
        for k in range(start, end + 1):
            ranks[order[k]] = (start + end) / 2 + 1
        start = end + 1
    z = [NormalDist().inv_cdf((r - 0.375) / (len(flat) + 0.25)) for r in ranks]
    n = len(chains[0])
    return [z[m * n : (m + 1) * n] for m in range(len(chains))]


def mean(values):
    return sum(values) / len(values)


def variance(values):
    mu = mean(values)
    return sum((v - mu) ** 2 for v in values) / (len(values) - 1)


def ref_basic_rhat(chains):
    n = len(chains[0])
    within = mean([variance(c) for c in chains])
    between = n * variance([mean(c) for c in chains])
    return math.sqrt(((n - 1) / n * within + between / n) / within)


def ref_rhat(chains):
    split = ref_split(chains)
    median = float(np.median([v for c in chains for v in c]))
    folded = [[abs(v - median) for v in c] for c in split]
    return max(ref_basic_rhat(ref_rank_normalize(split)), ref_basic_rhat(ref_rank_normalize(folded)))


def ref_ess(chains):
    m, n = len(chains), len(chains[0])

    def autocovariance(c, lag):
        mu = mean(c)
        return sum((c[i] - mu) * (c[i + lag] - mu) for i in range(n - lag)) / n

    w = mean([autocovariance(c, 0) for c in chains]) * n / (n - 1)
    var_plus = w * (n - 1) / n + variance([mean(c) for c in chains])

    def rho(t):
        return 1.0 - (w - mean([autocovariance(c, t) for c in chains])) / var_plus

    rhos = [1.0, rho(1)]
    even, odd = 1.0, rhos[1]
    t = 1
    while t < n - 3 and even + odd > 0:
        even, odd = rho(t + 1), rho(t + 2)
        if even + odd >= 0:
            rhos += [even, odd]
        t += 2
    max_t = t - 2
    rhos = rhos[: max_t + 1] + [even if even > 0 else 0.0]
    t = 1
    while t <= max_t - 2:  # monotone
        if rhos[t + 1] + rhos[t + 2] > rhos[t - 1] + rhos[t]:
            rhos[t + 1] = rhos[t + 2] = (rhos[t - 1] + rhos[t]) / 2
        t += 2
    tau = -1.0 + 2.0 * sum(rhos[: max_t + 1]) + rhos[max_t + 1]
    return m * n / max(tau, 1.0 / math.log10(m * n))


def ar1(rho, draws, chains, seed):
    rng = np.random.default_rng(seed)
    x = np.empty((draws, chains))
    x[0] = rng.normal(size=chains)
    for t in range(1, draws):
        x[t] = rho * x[t - 1] + math.sqrt(1 - rho**2) * rng.normal(size=chains)
    return x


def columns(x):
    return [list(map(float, x[:, m])) for m in range(x.shape[1])]


@pytest.mark.parametrize("rho", [0.0, 0.7, -0.4])
def test_against_the_reference(rho):
    x = ar1(rho, 301, 4, seed=1)  # odd: the split drops the middle draw
    x[:, 2] += 0.3  # chains that disagree a little
    chains = columns(x)
    assert diagnostics.rhat(x) == pytest.approx(ref_rhat(chains), rel=1e-12)
    assert diagnostics.ess(x) == pytest.approx(ref_ess(chains), rel=1e-10)
    split = ref_split(chains)
    assert diagnostics.ess_bulk(x) == pytest.approx(ref_ess(ref_rank_normalize(split)), rel=1e-10)
    assert diagnostics.mcse_mean(x) == pytest.approx(math.sqrt(variance(sum(chains, [])) / ref_ess(split)), rel=1e-10)


def test_ties_share_their_rank():
    x = np.repeat(np.arange(5.0), 8).reshape(-1, 4)
    assert np.allclose(diagnostics.rank_normalize(x), np.array(ref_rank_normalize(columns(x))).T, rtol=1e-13)


def test_independent_draws_have_rhat_one_and_ess_n():
    x = np.random.default_rng(2).normal(size=(1000, 4))
    # ESS of 4000 iid draws is estimated to within a few percent; R-hat within 0.005 of 1
    assert abs(diagnostics.rhat(x) - 1) < 0.005
    for ess in (diagnostics.ess_bulk(x), diagnostics.ess_tail(x), diagnostics.ess(x)):
        assert 0.85 * 4000 < ess < 1.15 * 4000


def test_an_autocorrelated_chain_has_the_ess_of_ar1():
    x = ar1(0.8, 5000, 4, seed=3)
    expected = x.size * (1 - 0.8) / (1 + 0.8)  # the integrated autocorrelation time of AR(1) is (1+ρ)/(1−ρ)
    assert 0.85 * expected < diagnostics.ess(x) < 1.15 * expected
    assert 0.85 * expected < diagnostics.ess_bulk(x) < 1.15 * expected


def result_of(x):
    draws = np.concatenate([x[:1], x])[:, :, None]  # saves: t = 0 first, then the draws
    meta = {"stats": {"accepted": 1.0, "proposed": 1.0}, "model": "m", "method": "nuts"}
    return Result(t=np.arange(len(draws)), x=draws, names=["theta"], meta=meta)


def test_a_chain_stuck_in_another_mode_is_flagged_in_plain_words():
    x = np.random.default_rng(4).normal(size=(1000, 4))
    x[:, 3] += 3.0  # one chain in another mode
    assert diagnostics.rhat(x) > 1.1
    text = diagnostics.summary(result_of(x))
    assert "warning: R-hat above 1.01 for theta" in text
    # negative control: the same chains, all in one mode, raise no warning
    x[:, 3] -= 3.0
    assert "warning" not in diagnostics.summary(result_of(x))


def test_folding_catches_chains_that_differ_only_in_scale():
    x = np.random.default_rng(5).normal(size=(1000, 4))
    x[:, 0] *= 3.0
    split = diagnostics.split_chains(x)
    assert diagnostics.basic_rhat(diagnostics.rank_normalize(split)) < 1.01  # the bulk R-hat sees nothing
    assert diagnostics.rhat(x) > 1.01  # the folded draws do


def test_few_effective_draws_are_flagged():
    x = ar1(0.99, 400, 2, seed=6)
    text = diagnostics.summary(result_of(x))
    assert "effective sample size below 400" in text


def test_the_cli_prints_diagnostics_for_a_sampling_run_with_several_chains(capsys):
    path = str(EXAMPLE_DIR / "double_well.act")
    args = ["run", path, "--method", "mala", "--dt", "0.05", "--steps", "200", "--particles", "8"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "r_hat" in out and "ess_bulk" in out
    assert main(args[:-2]) == 0  # one chain: no diagnostics
    assert "r_hat" not in capsys.readouterr().out
