"""The tests behind the verdicts: a difference on the crossed seeds x test-items design, the
paired comparison of two seed spreads, and Holm's correction.

Every student is trained with one seed and scored on the same test items, so a measured
difference carries two noises at once: another seed gives another student, another test set
other scores. Seeds and items are crossed, as subjects and items are in a psycholinguistic
experiment (Clark 1973, "The language-as-fixed-effect fallacy"), and the variance of a mean
difference has a seed, an item and an interaction component. A t interval over the seeds alone
ignores the items; a bootstrap over items alone ignores the seeds; a percentile bootstrap over
3-5 seeds is too narrow (with 3 seeds a draw is a single seed one time in nine). Here the
variance comes from the two-way random-effects ANOVA of the per-(seed, item) values and the t
quantile from Satterthwaite's degrees of freedom, which stay near seeds - 1 when the seeds
dominate. Statistics that are not item means (macro-F1, Krippendorff's alpha, agreement between
seeds) enter through their jackknife pseudo-values over seeds and items (labelrisk.artefacts.
claims.pseudo), which are exactly the per-(seed, item) values for a mean.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class Test:
    """A two-sided test of a difference: the estimate, its 95% interval (NaN where the test
    gives none), the p-value and the degrees of freedom it used."""

    estimate: float
    low: float
    high: float
    p: float
    df: float
    se: float = np.nan  # standard error of the estimate, where the test has one

    @property
    def sign(self) -> int:
        return int(np.sign(self.estimate)) if np.isfinite(self.estimate) else 0


UNDEFINED = Test(np.nan, np.nan, np.nan, np.nan, np.nan)


def mean_squares(values: np.ndarray) -> tuple[float, float, float]:
    """Seed, item and residual mean squares of a seeds x items table (two-way ANOVA, one value
    per cell)."""
    s, n = values.shape
    grand = values.mean()
    rows, cols = values.mean(1), values.mean(0)
    ms_seed = n * ((rows - grand) ** 2).sum() / (s - 1)
    ms_item = s * ((cols - grand) ** 2).sum() / (n - 1)
    resid = values - rows[:, None] - cols[None, :] + grand
    ms_resid = (resid**2).sum() / ((s - 1) * (n - 1))
    return float(ms_seed), float(ms_item), float(ms_resid)


MIN_SEEDS = 3  # fewer: no crossed test (a seed variance on 1 degree of freedom is no estimate)
# The degrees of freedom are Satterthwaite's with the seed mean square at its 90% upper
# confidence bound: with 3-5 seeds that mean square is itself so noisy that the plain estimate
# gives many degrees of freedom exactly when it is small by chance and the t statistic large.
DF_BOUND = 0.1


def crossed(estimate: float, pseudo: np.ndarray, level: float = 0.95) -> Test:
    """Test `estimate` against 0 with the variance of the grand mean of `pseudo` (seeds x
    items), seeds and items both random; needs `MIN_SEEDS` seeds.

    Var(mean) = (MS_seed + MS_item - MS_resid) / (seeds * items). A seed or item mean square
    that falls below the residual one is raised to it (its component taken as 0) but keeps its
    own degrees of freedom. The t quantile's degrees of freedom are Satterthwaite's for the
    same combination with MS_seed at its `DF_BOUND` upper confidence bound, which keeps them
    near seeds - 1 unless the items clearly dominate (measured in docs/default-results.md:
    plain Satterthwaite reaches 6-7% false verdicts with 3-5 seeds and a large seed spread)."""
    pseudo = np.asarray(pseudo, dtype=float)
    s, n = pseudo.shape
    if s < MIN_SEEDS or n < 2 or not (np.isfinite(estimate) and np.isfinite(pseudo).all()):
        return UNDEFINED
    ms_seed, ms_item, ms_resid = mean_squares(pseudo)
    ms = (max(ms_seed, ms_resid), max(ms_item, ms_resid), ms_resid)
    dfs = (s - 1, n - 1, (s - 1) * (n - 1))
    total = ms[0] + ms[1] - ms[2]
    if total <= 0:
        # Every mean square 0: every pseudo-value equal, no noise at all (a certain gap).
        p = 1.0 if estimate == 0 else 0.0
        return Test(float(estimate), float(estimate), float(estimate), p, np.inf, 0.0)
    df = satterthwaite(ms, dfs)
    se = np.sqrt(total / (s * n))
    half = stats.t.ppf(0.5 + level / 2, df) * se
    p = 2 * stats.t.sf(abs(estimate) / se, df)
    return Test(
        float(estimate), float(estimate - half), float(estimate + half), float(p), df, float(se)
    )


def satterthwaite(ms: Sequence[float], dfs: Sequence[float]) -> float:
    """Degrees of freedom of MS_seed + MS_item - MS_resid, MS_seed at its upper bound."""
    upper = ms[0] * dfs[0] / stats.chi2.ppf(DF_BOUND, dfs[0])
    terms = (upper, ms[1], ms[2])
    total = terms[0] + terms[1] - terms[2]
    return float(total**2 / sum(m**2 / d for m, d in zip(terms, dfs, strict=True)))


SPREAD_MIN_SEEDS = 6  # fewer: no test of seed spreads both survives one bad seed and has power


def seed_variances(a: np.ndarray, b: np.ndarray) -> Test:
    """Whether per-seed values `a` vary more across seeds than their paired `b` (same seeds):
    a paired Brown-Forsythe test, Student's t over seeds on |a - median a| - |b - median b|.
    One bad seed moves one paired difference only (t stays near 1), and heavy-tailed scores do
    not inflate it, unlike the Pitman-Morgan test (exact for normal scores only: 24-84% false
    verdicts with one near-collapsed seed). The estimate is sd(a) - sd(b); no interval."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(a) < SPREAD_MIN_SEEDS or not (np.isfinite(a).all() and np.isfinite(b).all()):
        return UNDEFINED
    est = float(np.std(a, ddof=1) - np.std(b, ddof=1))
    d = np.abs(a - np.median(a)) - np.abs(b - np.median(b))
    if np.ptp(d) == 0:
        # Equal deviations seed for seed: no evidence either way (p = 1), never p = 0.
        return Test(est, np.nan, np.nan, 1.0, len(a) - 1)
    return Test(est, np.nan, np.nan, float(stats.ttest_1samp(d, 0.0).pvalue), len(a) - 1)


def holm(pvalues: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjusted p-values (as R's p.adjust and statsmodels' multipletests
    compute them: the k-th smallest times m - k + 1, made monotone, capped at 1), NaN kept where
    a p-value is undefined. Four lines here rather than statsmodels, whose Holm runs a full
    garbage collection on every call (a quarter second each in the null simulations)."""
    p = np.asarray(pvalues, dtype=float)
    out = np.full(len(p), np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    order = ok[np.argsort(p[ok], kind="stable")]
    m = len(order)
    out[order] = np.minimum(np.maximum.accumulate(p[order] * (m - np.arange(m))), 1.0)
    return out
