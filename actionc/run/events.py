"""What a kernel's event records, as results and statistics.

A kernel compiled with an event (actionc.compile(…, until=…) or
section=…) watches g(x, t) after every step and records each crossing of
zero at the time and state interpolated linearly in g within the step
(codegen.module, event_lines). Here:

- a first passage (--until) keeps per particle its hitting time `t_hit`
  (NaN where it never hit before the run ended) and state `x_hit`; the
  summary gives the mean first-passage time with its 95% interval, and the
  exponential rate with censoring (hits over the total time at risk, each
  particle at risk until it hit or the run ended), 1/rate where some never
  hit;
- a section (--section) keeps every crossing, up to `crossings` per
  particle: `section_t`, `section_x` (one row per crossing) and
  `section_particle` (whose it is), in particle order, then time.
"""

from __future__ import annotations

import math

import numpy as np

Z95 = 1.959963984540054  # the two-sided 95% normal quantile


def capacity(event: dict | None, crossings: int) -> int:
    """Events kept per particle: none, the first passage, or `crossings`."""
    if event is None:
        return 0
    if not isinstance(crossings, (int, np.integer)) or crossings < 1:
        from actionc.errors import RunError

        raise RunError(f"--crossings must be a whole number ≥ 1, not {crossings!r}")
    return 1 if event["stop"] else int(crossings)


def attach(result, event: dict, recorded: np.ndarray, counts: np.ndarray) -> None:
    """Put what the kernel recorded into result.events and result.meta."""
    if event["stop"]:
        hit = counts > 0
        result.events = {"t_hit": np.where(hit, recorded[:, 0, 0], np.nan), "x_hit": recorded[:, 0, 1:]}
        result.meta["event"] = {"until": event["text"]}
        return
    kept = np.minimum(counts, recorded.shape[1])
    rows = np.arange(recorded.shape[1])[None, :] < kept[:, None]
    result.events = {
        "section_t": recorded[:, :, 0][rows],
        "section_x": recorded[:, :, 1:][rows],
        "section_particle": np.nonzero(rows)[0],
    }
    result.meta["event"] = {"section": event["text"], "crossings": int(counts.sum()), "kept": int(kept.sum())}


def first_passage(result) -> dict:
    """Statistics of the hitting times τ = t_hit − t0 over the particles
    that did not diverge: hits, mean and its 95% half-width (of those that
    hit), and the censored exponential rate with its 95% half-width."""
    start = result.meta.get("t0", 0.0)
    kept = ~result.diverged_particles()
    tau = result.events["t_hit"][kept] - start
    hit = np.isfinite(tau)
    end = result.t[-1] - start
    at_risk = float(np.where(hit, tau, end).sum())
    hits = int(hit.sum())
    stats = {"particles": int(kept.sum()), "hits": hits, "censored_at": float(end)}
    if hits:
        stats["mean"] = float(tau[hit].mean())
        stats["mean_95"] = Z95 * float(tau[hit].std(ddof=1)) / math.sqrt(hits) if hits > 1 else math.inf
    if at_risk > 0:
        stats["rate"] = hits / at_risk
        stats["rate_95"] = Z95 * stats["rate"] / math.sqrt(hits) if hits else math.inf
    return stats


def summary_lines(result) -> list[str]:
    """The summary's lines for the run's events."""
    described = result.meta.get("event") or {}
    if "until" in described and "t_hit" in result.events:
        stats = first_passage(result)
        lines = [f"  first passage ({described['until']}): {stats['hits']} of {stats['particles']} particle(s) hit"]
        if stats["hits"]:
            lines.append(f"    mean first-passage time {stats['mean']:.6g} ± {stats['mean_95']:.3g} (95%)")
            if stats["hits"] < stats["particles"]:
                lines.append("    (of those that hit before the end: biased low, see the rate)")
        if "rate" in stats and stats["hits"]:
            lines.append(
                f"    rate (exponential, censored at {stats['censored_at']:g}) {stats['rate']:.6g} ± "
                f"{stats['rate_95']:.3g} (95%), mean time 1/rate {1 / stats['rate']:.6g}"
            )
        return lines
    if "section" in described:
        particles = result.x.shape[1]
        lines = [
            f"  section ({described['section']}): {described['crossings']} crossing(s), "
            f"{described['crossings'] / particles:.4g} per particle"
        ]
        if described["kept"] < described["crossings"]:
            lines.append(f"    {described['kept']} kept: raise --crossings to keep more per particle")
        return lines
    return []
