"""The smallest accuracy cost C1 detects with 80% power: before a run from an assumed variance
model, after it from the run's own crossed-test standard error.

C1 tests the mean over seeds and test items of d[s, i] = correct_gold[s, i] - correct_llm[s, i]
on the crossed design (inference.crossed), whose variance is

    Var(mean d) = seed_var / S + item_var / N + interaction_var / (S N).

A two-sided t test at `level` with standard error se and df degrees of freedom finds a true
difference delta with probability P(|T| > t_crit), T noncentral t with noncentrality delta / se;
the detectable cost is the delta where that reaches `power` (scipy.stats.nct, solved by brentq).

The assumed components (`ASSUMED`) are those of the default's students (5 seeds, 200 test
items, students near 80% accuracy): the accuracy of a seed's student varies by about 4.5
points across seeds, of which 200 test items explain about 3, leaving about 3.4 of training
noise per source; the two sources of one seed share initialisation and training subset
(correlation about 0.3), so the per-seed difference varies by about 4 points (seed_var 0.0016).
Gold- and teacher-label students are right on the same items with a correlation of correctness
0.3-0.7, so the per-item variance of d at one seed is about 0.18 of the 0.32 of independent
errors; two seeds' gold students agree on 86% of items, so most of it is stable across seeds
(item_var 0.10) and the rest is the seed x item interaction (0.08).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

from labelrisk.artefacts.claims.inference import satterthwaite


@dataclass(frozen=True)
class Components:
    seed_var: float = 0.0016  # variance over seeds of the per-seed accuracy difference
    item_var: float = 0.10  # variance over items of the item's mean difference
    interaction_var: float = 0.08  # seed x item


ASSUMED = Components()


def se_and_df(seeds: int, items: int, c: Components = ASSUMED) -> tuple[float, float]:
    """Standard error of C1's accuracy difference and the degrees of freedom the crossed test
    would use (inference.satterthwaite), from the expected mean squares of the ANOVA."""
    ms_seed = items * c.seed_var + c.interaction_var
    ms_item = seeds * c.item_var + c.interaction_var
    ms_resid = c.interaction_var
    total = ms_seed + ms_item - ms_resid
    dfs = (seeds - 1, items - 1, (seeds - 1) * (items - 1))
    df = satterthwaite((ms_seed, ms_item, ms_resid), dfs)
    return float(np.sqrt(total / (seeds * items))), df


def detectable(se: float, df: float, level: float = 0.05, power: float = 0.8) -> float:
    """The smallest true difference a two-sided t test finds with probability `power`."""
    if not (np.isfinite(se) and np.isfinite(df) and se > 0 and df > 0):
        return np.nan
    crit = stats.t.ppf(1 - level / 2, df)

    def short(delta):
        nc = delta / se
        # the far tail underflows to NaN where it is 0 in all but name
        far = np.nan_to_num(stats.nct.cdf(-crit, df, nc))
        return stats.nct.sf(crit, df, nc) + far - power

    return float(optimize.brentq(short, 0.0, 50 * se))


def plan_lines(seeds: int, items: int, level: float = 0.05) -> list[str]:
    """plan.md's power section: the detectable cost at the configured seeds and test size, and
    with more seeds or test items (assumed components, `ASSUMED`)."""

    def pts(s, n):
        return 100 * detectable(*se_and_df(s, n), level)

    head = (
        f"With {seeds} seeds and {items} test items, C1 (gold against teacher labels) finds an "
        f"accuracy cost of {pts(seeds, items):.1f} points or more 80% of the time (two-sided, "
        f"level {level:g}); a smaller one will most often read `undetermined`. This assumes the "
        "default's variance components (seed spread about 4 points of the paired difference, "
        "correlated item errors; labelrisk.artefacts.claims.power); the risk summary gives the "
        "run's own figure."
    )
    rows = [
        "| seeds \\ test items | "
        + " | ".join(str(n) for n in (items, 2 * items, 4 * items))
        + " |"
    ]
    rows.append("| --- | --- | --- | --- |")
    for s in sorted({max(3, seeds), seeds + 2, 2 * seeds}):
        cells = " | ".join(f"{pts(s, n):.1f}" for n in (items, 2 * items, 4 * items))
        rows.append(f"| {s} | {cells} |")
    return [head, "", "Detectable accuracy cost (points, 80% power):", "", *rows]
