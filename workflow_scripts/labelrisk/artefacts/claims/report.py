"""claims.md: the verdict counts, every verdict in a sentence, how they are reached, the table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from labelrisk.artefacts.claims.plan import TITLES
from labelrisk.artefacts.claims.verdict import Verdict
from labelrisk.artefacts.claims.verdicts import all_measures

ORDER = list(Verdict)

METHOD = """\
Each row compares a quantity of students trained one way (a) with the same quantity of students
trained another way (b), paired by seed (a seed's students share their initialisation and
training subset) and by test item. Accuracy, macro-F1, per-class F1 and gains are tested on the
seeds x test-items design with both noises: the variance of the mean difference is that of a
two-way random-effects ANOVA of the per-(seed, item) values (jackknife pseudo-values for F1),
with Satterthwaite's degrees of freedom (a seed or item component estimated below 0 is set to 0
but keeps its degrees of freedom), and needs 3 seeds. C2 is decided on agreement between seeds
beyond the agreement the students' accuracy alone implies (two students erring independently
with the same confusion), with the raw pairwise agreement and Krippendorff's alpha beside; C4 on
the F1 lost beyond what symmetric noise at the teacher-label students' accuracy would cost each
class, with the raw F1 lost beside. Seed spreads (C7) are compared with a paired Brown-Forsythe
test (t over seeds on absolute deviations from the median), which one bad seed cannot decide; it
needs 6 seeds. C8 holds only where macro-F1 rises and the accuracy loss is shown to be below
{margin:g} accuracy point(s) (non-inferiority); a macro-F1 gain with accuracy shown to fall is a
trade. Where a row names two measures that decide, it holds only when both do. Verdicts: `holds`
when the difference has the claim's sign and Holm's correction ({scope}) leaves p below
{level:g}; `does not hold` when it has the other sign; `undetermined` otherwise. A student that
predicts a class on far more of the test set than the class's share, or all but never finds some
class, is near-collapsed (`evaluation.collapse_margin`, `collapse_recall`): rows of C2, C3, C6
and C7 that involve one read `{collapsed}`; every other sentence resting on one says so.
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


def error_rate(table: pd.DataFrame, level: float) -> str:
    """What a global null (no real difference anywhere) would give this table."""
    testable = table[table.get("p_holm", pd.Series(dtype=float)).notna()]
    if table.attrs.get("correction") == "table":
        return (
            f"Were there no real difference anywhere, this table would hold a false verdict "
            f"with probability at most {level:g} (Holm's correction over its "
            f"{len(testable)} testable rows together)."
        )
    claims = testable.claim.nunique()
    return (
        f"Were there no real difference anywhere, each claim would give a false verdict with "
        f"probability at most {level:g}; this table tests {claims} claims, so it is expected to "
        f"hold at most {claims * level:.2g} claims with a false verdict, and at least one with "
        f"probability up to {min(1.0, claims * level):.2g} (`claims.correction: table` bounds "
        f"the whole table at {level:g}, at the price of fewer verdicts)."
    )


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


def claims_markdown(table: pd.DataFrame, level: float = 0.05, margin: float = 0.01) -> str:
    """The verdict counts and the table's error rate, one sentence per verdict, the method,
    then every row."""
    n_seeds = table.attrs.get("n_seeds")
    lines = ["# The paper's claims on this run", ""]
    if len(table):
        scope = f" on {n_seeds} seeds" if n_seeds else ""
        lines += [f"**{len(table)} verdicts**{scope}: {_count(table.verdict)}.", ""]
        lines += [error_rate(table, level), ""]
        for claim, sub in table.groupby("claim"):
            lines.append(f"- **{claim}** ({TITLES.get(claim, '')}): {_count(sub.verdict)}")
    for claim, why in SKIPPED.items():
        if claim not in set(table.get("claim", [])):
            lines.append(f"- **{claim}**: not checked: {why}")
    lines += ["", "## Every verdict in words", ""]
    for r in table.itertuples():
        lines.append(f"- **{r.claim}, {r.dataset}, {r.teacher}**: {r.reads}")
    scope = "over the whole table" if table.attrs.get("correction") == "table" else "per claim"
    text = METHOD.format(level=level, margin=100 * margin, scope=scope, collapsed=Verdict.COLLAPSED)
    lines += ["", "## How the verdicts are reached", "", text.strip(), ""]
    if len(table):
        show = pd.DataFrame(
            {
                "claim": table.claim,
                "dataset": table.dataset,
                "teacher": table.teacher,
                "measured (a vs b, x100)": [all_measures(r) for _, r in table.iterrows()],
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
