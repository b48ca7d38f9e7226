"""Convergence diagnostics of sampling runs, particles as chains: rank-
normalized split R-hat, bulk and tail effective sample sizes, and the Monte
Carlo standard error of the mean (Vehtari, Gelman, Simpson, Carpenter &
Bürkner, "Rank-normalization, folding, and localization: an improved R-hat
for assessing convergence of MCMC", Bayesian Analysis 16 (2021)).

The draws of a Result are its saves after t = 0 (the initial state is not
a draw; an adaptive sampler's warm-up is never saved). ESS follows Geyer's
initial monotone sequence on the autocorrelations pooled over chains, as
Stan and ArviZ compute it (paper, §3.2 and Appendix A).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from actionc.run.result import Result

RHAT_LIMIT = 1.01  # the paper's recommendation
ESS_LIMIT = 400  # bulk and tail ESS below this: too few for reliable R-hat and quantiles (paper, §4)


@dataclass(frozen=True)
class Diagnostic:
    name: str
    mean: float
    sd: float
    mcse_mean: float
    ess_bulk: float
    ess_tail: float
    rhat: float


def split_chains(draws: np.ndarray) -> np.ndarray:
    """(draws, chains) → (draws // 2, 2 chains): each chain's halves as two
    chains (the middle draw of an odd count dropped)."""
    half = draws.shape[0] // 2
    return np.concatenate([draws[:half], draws[draws.shape[0] - half :]], axis=1)


def rank_normalize(draws: np.ndarray) -> np.ndarray:
    """Φ⁻¹((r − 3/8)/(S + 1/4)) of the ranks r over all S draws, ties averaged (paper, eq. 14)."""
    from scipy.special import ndtri  # here: every `actionc run` asks is_sampling_run, few need SciPy
    from scipy.stats import rankdata

    ranks = rankdata(draws, method="average", axis=None).reshape(draws.shape)
    return ndtri((ranks - 0.375) / (draws.size + 0.25))


def basic_rhat(draws: np.ndarray) -> float:
    """The potential scale reduction of (draws, chains) (paper, eqs. 3–4)."""
    n = draws.shape[0]
    within = draws.var(axis=0, ddof=1).mean()
    between = n * draws.mean(axis=0).var(ddof=1)
    if within == 0:
        return float("nan")
    return float(np.sqrt(((n - 1) / n * within + between / n) / within))


def rhat(draws: np.ndarray) -> float:
    """Rank-normalized split R-hat: the larger of the bulk R-hat and the
    R-hat of the folded draws |θ − median| (paper, §4.1)."""
    split = split_chains(draws)
    bulk = basic_rhat(rank_normalize(split))
    folded = np.abs(split - np.median(draws))
    tail = basic_rhat(rank_normalize(folded))
    return float(max(bulk, tail))


def _autocovariance(draws: np.ndarray) -> np.ndarray:
    """The biased autocovariance of each chain at every lag, by FFT: (lags, chains)."""
    n = draws.shape[0]
    centred = draws - draws.mean(axis=0)
    size = 1 << (2 * n - 1).bit_length()
    transform = np.fft.rfft(centred, n=size, axis=0)
    return np.fft.irfft(transform * np.conj(transform), n=size, axis=0)[:n] / n


def ess(draws: np.ndarray) -> float:
    """The effective sample size of (draws, chains) for the mean (paper, eqs. 10–13)."""
    n, chains = draws.shape
    if n < 4:
        return float("nan")
    covariance = _autocovariance(draws)
    mean_var = covariance[0].mean() * n / (n - 1)
    var_plus = mean_var * (n - 1) / n + (draws.mean(axis=0).var(ddof=1) if chains > 1 else 0.0)
    if var_plus == 0:
        return float("nan")
    rho = 1.0 - (mean_var - covariance.mean(axis=1)) / var_plus
    rho[0] = 1.0
    # Geyer's initial positive sequence: the sums of pairs (ρ_2k, ρ_2k+1) up to
    # the last positive one, made monotone; the first pair left out adds its
    # ρ_2k when positive (as Stan and ArviZ)
    count = 1 + max(0, (n - 3) // 2)
    pairs = rho[: 2 * count].reshape(-1, 2).sum(axis=1)
    negative = np.flatnonzero(pairs <= 0)
    stop = negative[0] if negative.size else count - 1
    kept = np.minimum.accumulate(pairs[:stop])
    tau = -1.0 + 2.0 * kept.sum() + max(0.0, rho[2 * stop])
    total = n * chains
    return float(total / max(tau, 1.0 / np.log10(total)))


def ess_bulk(draws: np.ndarray) -> float:
    return ess(rank_normalize(split_chains(draws)))


def ess_tail(draws: np.ndarray) -> float:
    """The smaller ESS of the 5% and 95% quantiles (paper, §4.3)."""
    split = split_chains(draws)
    low, high = np.quantile(draws, [0.05, 0.95])
    return min(ess((split <= low).astype(float)), ess((split <= high).astype(float)))


def mcse_mean(draws: np.ndarray) -> float:
    return float(draws.std(ddof=1) / np.sqrt(ess(split_chains(draws))))


def diagnose(result: Result) -> list[Diagnostic]:
    """One Diagnostic per state variable, over the result's particles as chains."""
    draws = result.x[1:]
    if draws.shape[0] < 4 or draws.shape[1] < 2:
        raise ValueError("diagnostics need at least 2 chains (particles) and 4 saved draws after t = 0")
    out = []
    for k, name in enumerate(result.names):
        column = draws[:, :, k]
        out.append(
            Diagnostic(
                name=name,
                mean=float(column.mean()),
                sd=float(column.std(ddof=1)),
                mcse_mean=mcse_mean(column),
                ess_bulk=ess_bulk(column),
                ess_tail=ess_tail(column),
                rhat=rhat(column),
            )
        )
    return out


def is_sampling_run(result: Result) -> bool:
    """A run of an exact sampler (mala, hmc, nuts, tempering) whose saves are draws,
    with several chains and enough draws to diagnose."""
    stats = result.meta.get("stats") or {}
    return "proposed" in stats and result.x.shape[1] >= 2 and result.x.shape[0] >= 5


def summary(result: Result) -> str:
    """The diagnostics as a table, the sampler's counters, and plain-word warnings."""
    rows = diagnose(result)
    width = max(len(row.name) for row in rows)
    chains, draws = result.x.shape[1], result.x.shape[0] - 1
    lines = [f"  diagnostics over {chains} chains × {draws} draws (Vehtari et al. 2021):"]
    lines.append(
        f"  {'':<{width}}  {'mean':>11}  {'sd':>9}  {'mcse':>9}  {'ess_bulk':>9}  {'ess_tail':>9}  {'r_hat':>6}"
    )
    for r in rows:
        lines.append(
            f"  {r.name:<{width}}  {r.mean:>11.5g}  {r.sd:>9.4g}  {r.mcse_mean:>9.2g}  {r.ess_bulk:>9.0f}  "
            f"{r.ess_tail:>9.0f}  {r.rhat:>6.3f}"
        )
    stats = result.meta["stats"]
    proposed = stats["proposed"] or 1.0
    counters = []
    if "divergences" in stats:
        per_chain = result.meta.get("divergences_per_chain") or []
        affected = sum(1 for d in per_chain if d)
        counters.append(f"{stats['divergences']:.0f} divergent transition(s) in {affected} chain(s)")
    if "tree_depth" in stats:
        counters.append(f"mean tree depth {stats['tree_depth'] / proposed:.2f}")
    if "gradients" in stats:
        counters.append(f"{stats['gradients'] / proposed:.1f} gradients per draw")
    if counters:
        lines.append("  " + ", ".join(counters))
    lines += _divergent_chains(result.meta.get("divergences") or [])
    ladder = result.meta.get("ladder")
    if ladder:
        lines.append("  swap rates between neighbouring temperatures (× T): " + _swap_rates(ladder))
    lines += [f"  warning: {w}" for w in warnings(rows, stats, ladder)]
    return "\n".join(lines)


SHOWN = 8  # chains, and state variables, named in the summary's lines on divergences


def _divergent_chains(divergences: list[dict]) -> list[str]:
    lines = []
    for chain in divergences[:SHOWN]:
        start = list(chain["from"].items())
        where = ", ".join(f"{name} = {value:.4g}" for name, value in start[:SHOWN]) + (
            ", …" if len(start) > SHOWN else ""
        )
        lines.append(
            f"    chain {chain['chain']}: {chain['count']} divergent, the first at draw {chain['first_draw']}, "
            f"from {where}"
        )
    if len(divergences) > SHOWN:
        lines.append(f"    … and {len(divergences) - SHOWN} more chain(s) (meta['divergences'])")
    return lines


def _swap_rates(ladder: dict) -> str:
    ratios, rates = ladder["temperature_ratios"], ladder["swap_rates"]
    return ", ".join(
        f"{ratios[k]:.3g} → {ratios[k + 1]:.3g} {'never tried' if rate is None else f'{rate:.2f}'}"
        for k, rate in enumerate(rates)
    )


SWAP_LIMIT = 0.1  # neighbours that swap less often hardly pass states down the ladder (Earl & Deem 2005, §3)


def warnings(rows: list[Diagnostic], stats: dict, ladder: dict | None = None) -> list[str]:
    out = []
    high = [r.name for r in rows if not r.rhat <= RHAT_LIMIT]
    if high:
        out.append(
            f"R-hat above {RHAT_LIMIT} for {', '.join(high)}: the chains disagree (not yet mixed, or stuck in "
            "different modes); run longer, or do not trust these estimates"
        )
    low = [r.name for r in rows if not min(r.ess_bulk, r.ess_tail) >= ESS_LIMIT]
    if low:
        out.append(
            f"effective sample size below {ESS_LIMIT} for {', '.join(low)}: means and quantiles are uncertain; "
            "run more steps, more chains, or save every step"
        )
    if stats.get("divergences"):
        out.append(
            "divergent transitions: the sampler could not follow the energy somewhere (a funnel, a sharp ridge); "
            "the draws may be biased; raise --target-accept or reparametrize the model"
        )
    if ladder and any(rate is not None and rate < SWAP_LIMIT for rate in ladder["swap_rates"]):
        out.append(
            f"some neighbouring temperatures swap less than {SWAP_LIMIT:.0%} of the time: states hardly travel down "
            "the ladder; use more --replicas, or a smaller --hottest"
        )
    return out
