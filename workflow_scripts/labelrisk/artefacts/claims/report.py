"""claims.md: the verdict counts, every verdict in a sentence, how they are reached, the table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from labelrisk.artefacts.claims.plan import TITLES
from labelrisk.artefacts.claims.verdicts import (
    COLLAPSED,
    FAILS,
    HOLDS,
    TRADE,
    UNCHANGED,
    UNDETERMINED,
    measure_text,
)

ORDER = [HOLDS, FAILS, UNCHANGED, TRADE, UNDETERMINED, COLLAPSED]

METHOD = """\
Each row compares a quantity of students trained one way (a) with the same quantity of students
trained another way (b), paired by seed (a seed's students share their initialisation and
training subset) and by test item. Accuracy, macro-F1, per-class F1 and gains are tested on
the seeds x test-items design with both noises: the variance of the mean difference is that of
a two-way random-effects ANOVA of the per-(seed, item) values (jackknife pseudo-values for F1),
with Satterthwaite's degrees of freedom. Agreement between seeds is the mean over pairs of
seeds of the share of test items they predict alike (the p_uc of two seeds, whatever the seed
count); it and Krippendorff's alpha are tested the same way on their pseudo-values over seeds
and items. p_uc over all the run's seeds, as the paper defines it, is reported beside (it falls
as seeds are added, so it is not tested). Seed standard deviations are compared with the paired
Pitman-Morgan test. Where a row names two measures that decide, it holds only when both do.
Verdicts: `holds` when the difference has the claim's sign and Holm's correction over the
claim's rows leaves p below {level:g}; `does not hold` when it has the other sign; `undetermined`
otherwise. A student whose largest predicted-class share on the test set is {share:g} or more is
near-collapsed: rows of C2, C3, C6 and C7 that involve one read `{collapsed}`; other rows name it.
Under a simulated null these verdicts are wrong at most 5% of the time (docs/default-results.md).
"""

SKIPPED = {
    "C3": "one training size: no gain to measure (`grid.sizes`).",
    "C5": "no consistency ensemble and entropy filter on one teacher (`mitigations.ensemble`).",
    "C6": "one teacher: no larger teacher to compare (`grid.teachers`, `parameters`).",
    "C8": "no calibrated label source (`mitigations.calibrated`).",
}


def _count(verdicts: pd.Series) -> str:
    """`3 holds, 1 undetermined`, in the order of ORDER (decided verdicts first)."""
    counts = verdicts.value_counts()
    rank = {v: i for i, v in enumerate(ORDER)}
    keys = sorted(counts.index, key=lambda v: (rank.get(v, len(ORDER)), v))
    return ", ".join(f"{counts[v]} {v}" for v in keys)


def _beside(row: pd.Series) -> str:
    """What the row reports without testing: p_uc, the share of the gap recovered, gold cost."""
    parts = []
    if np.isfinite(row.get("p_uc_a", np.nan)):
        parts.append(f"p_uc {100 * row.p_uc_a:.1f} vs {100 * row.p_uc_b:.1f}")
    for k in ("a", "b"):
        rec, cost = row.get(f"recovered_{k}", np.nan), row.get(f"gold_{k}", np.nan)
        if np.isfinite(cost):
            shown = "undefined (no gap)" if not np.isfinite(rec) else f"{rec:.2f}"
            parts.append(f"{k}: gap recovered {shown}, {cost:g} gold labels")
    return "; ".join(parts)


def claims_markdown(table: pd.DataFrame, collapse_share: float = 0.9, level: float = 0.05) -> str:
    """The verdict counts, one sentence per verdict, the method, then every row."""
    n_seeds = table.attrs.get("n_seeds")
    lines = ["# The paper's claims on this run", ""]
    if len(table):
        scope = f" on {n_seeds} seeds" if n_seeds else ""
        lines += [f"**{len(table)} verdicts**{scope}: {_count(table.verdict)}.", ""]
        for claim, sub in table.groupby("claim"):
            lines.append(f"- **{claim}** ({TITLES.get(claim, '')}): {_count(sub.verdict)}")
    for claim, why in SKIPPED.items():
        if claim not in set(table.get("claim", [])):
            lines.append(f"- **{claim}**: not checked: {why}")
    lines += ["", "## Every verdict in words", ""]
    for r in table.itertuples():
        lines.append(f"- **{r.claim}, {r.dataset}, {r.teacher}**: {r.reads}")
    text = METHOD.format(level=level, share=collapse_share, collapsed=COLLAPSED)
    lines += ["", "## How the verdicts are reached", "", text.strip(), ""]
    if len(table):
        show = pd.DataFrame(
            {
                "claim": table.claim,
                "dataset": table.dataset,
                "teacher": table.teacher,
                "measured (a vs b, x100)": [
                    "; ".join(filter(None, (measure_text(r), measure_text(r, "_2"))))
                    for _, r in table.iterrows()
                ],
                "p (Holm)": [f"{p:.2g}" if np.isfinite(p) else "–" for p in table.p_holm],
                "seeds for": table.get("seeds_for"),
                "beside": [_beside(r) for _, r in table.iterrows()],
                "collapsed": table.get("collapsed"),
                "verdict": table.verdict,
            }
        )
        show = show.astype(object).where(show.notna(), "–")
        lines += ["## The table", "", show.to_markdown(index=False, floatfmt=".3g")]
    return "\n".join(lines) + "\n"
