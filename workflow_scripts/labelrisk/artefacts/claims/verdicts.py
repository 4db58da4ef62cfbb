"""From a comparison's measures to its verdict and the sentence that explains it.

A row's p-value is the largest of its deciding measures' two-sided p-values when they point the
same way (an intersection-union test: the row holds only where every deciding measure does, at
the same 5% level), and 1 when they point different ways. C8 adds a non-inferiority test of
accuracy (the loss below a stated margin) to its macro-F1 test. Holm's correction runs within
each claim (or over the whole table) over the rows that can reach a verdict. `holds` when the
Holm-adjusted p is below the level and the difference has the claim's sign, `does not hold`
when it has the other sign, `undetermined` otherwise; rows of a claim that needs more seeds
than the run has read `undetermined: too few seeds`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import stats

from labelrisk.artefacts.claims.inference import holm
from labelrisk.artefacts.claims.plan import CLAIMS, Comparison
from labelrisk.artefacts.claims.runs import Runs
from labelrisk.artefacts.claims.verdict import Verdict
from labelrisk.evaluation.metrics import DEFAULT_COLLAPSE, CollapseRule

HOLDS, FAILS, UNDETERMINED = Verdict.HOLDS, Verdict.FAILS, Verdict.UNDETERMINED
COLLAPSED, TOO_FEW, UNCHANGED, TRADE = (
    Verdict.COLLAPSED,
    Verdict.TOO_FEW,
    Verdict.UNCHANGED,
    Verdict.TRADE,
)
MEASURE_COLUMNS = ["measure", "a", "b", "difference", "ci_low", "ci_high", "p", "seeds_for"]
CORRECTIONS = ("claim", "table")  # Holm over each claim's rows, or over the whole table


def collapsed_note(runs: Runs, involved: Sequence, rule: CollapseRule) -> str:
    """`source n=size: seed 3 (0.99), ...` for every near-collapsed student, `;`-separated."""
    notes = []
    for key in dict.fromkeys(involved):
        hits = runs.collapsed(key, rule)
        if hits:
            seeds = ", ".join(f"seed {s} ({x:.2f})" for s, x in hits)
            notes.append(f"{key[0]} n={key[1]}: {seeds}")
    return "; ".join(notes)


def non_inferior_p(t, margin: float) -> float:
    """Two-sided-equivalent p of "a - b > -margin" (below 0.05 exactly when the 95% interval's
    lower end is above -margin): twice the one-sided p, capped at 1."""
    if not np.isfinite(t.se) or t.se == 0:
        return 0.0 if t.estimate > -margin else 1.0
    return float(min(1.0, 2 * stats.t.sf((t.estimate + margin) / t.se, t.df)))


def _decide_c8(row: dict, f1, acc, margin: float) -> None:
    """C8's row p: macro-F1 up and accuracy non-inferior (`holds`), or macro-F1 up and accuracy
    measurably down (`trade`), each an intersection-union test; macro-F1 down: `does not hold`."""
    if row["direction"] <= 0:
        row["p_row"] = f1.p if row["direction"] else 1.0
        return
    p_hold = max(f1.p, non_inferior_p(acc, margin))
    p_trade = max(f1.p, acc.p) if acc.sign < 0 else 1.0
    row["p_row"] = min(p_hold, p_trade)
    row["accuracy_down"] = p_trade < p_hold
    row["f1_p"] = f1.p


def assess(
    c: Comparison, runs: Runs, collapse: CollapseRule = DEFAULT_COLLAPSE, level: float = 0.05
) -> dict:
    """The row of one comparison before Holm's correction: every measure, the collapsed
    students, and either a final verdict or the p-value the correction will read."""
    row = {
        "claim": c.claim,
        "dataset": c.dataset,
        "teacher": c.teacher,
        "claim_tested": c.hypothesis,
    }
    row["seeds"], row["items"] = len(runs.seeds), len(runs.gold)
    if c.not_applicable:
        return {**row, "verdict": c.not_applicable, "why": c.why_not}
    measures = c.measures(runs)
    for i, ms in enumerate(measures):
        suffix = "" if i == 0 else f"_{i + 1}"
        t = ms.test
        values = [ms.name, ms.a, ms.b, t.estimate, t.low, t.high, t.p, ms.seeds_for]
        row.update({f"{k}{suffix}": v for k, v in zip(MEASURE_COLUMNS, values, strict=True)})
    row.update(c.extra(runs))
    row["collapsed"] = collapsed_note(runs, c.involved, collapse)
    deciding = [ms.test for ms in measures[: c.decides]]
    signs = {t.sign for t in deciding}
    row["direction"] = signs.pop() if len(signs) == 1 else 0
    row["disagree"] = {-1, 1} <= {t.sign for t in deciding}
    claim = CLAIMS[c.claim]
    if row["collapsed"] and claim.collapse_sensitive:
        row["verdict"] = COLLAPSED
    elif c.same and runs.same(*c.same):
        # Both answering one class everywhere is a collapse, not a calibration that did nothing.
        one = all(runs.one_class(k) for k in c.same)
        row["verdict"] = COLLAPSED if one else UNCHANGED
    elif len(runs.seeds) < claim.min_seeds:
        row["verdict"], row["why"] = TOO_FEW, f"needs {claim.min_seeds} seeds"
    elif any(not np.isfinite(t.p) for t in deciding):
        row["verdict"], row["why"] = UNDETERMINED, "undefined"
    elif c.margin is not None:
        _decide_c8(row, measures[0].test, measures[1].test, c.margin)
    else:
        row["p_row"] = max(t.p for t in deciding) if row["direction"] else 1.0
        if c.claim == "C5" and len(measures) > 1:
            # A macro-F1 gain with an accuracy interval wholly below 0 is a trade, not a gain.
            row["accuracy_down"] = bool(measures[1].test.high < 0)
    return row


def finish(rows: list[dict], level: float = 0.05, correction: str = "claim") -> list[dict]:
    """Holm's correction within each claim (or over the whole table), then the verdicts of the
    rows still open."""
    families = [None] if correction == "table" else dict.fromkeys(r["claim"] for r in rows)
    for claim in families:
        open_rows = [r for r in rows if claim in (None, r["claim"]) and "p_row" in r]
        for r, p in zip(open_rows, holm([r["p_row"] for r in open_rows]), strict=True):
            r["p_holm"], r["family"] = float(p), len(open_rows)
            if p < level and r["direction"] > 0:
                r["verdict"] = TRADE if r.get("accuracy_down") else HOLDS
            elif p < level and r["direction"] < 0:
                r["verdict"] = FAILS
            else:
                r["verdict"] = UNDETERMINED
                r["why"] = "measures disagree" if r.get("disagree") else "noise"
                if r.get("f1_p", 1.0) < level / r["family"]:
                    r["why"] = "accuracy"
    for r in rows:
        r["reads"] = sentence(r)
    return rows


def _x100(v: float, signed: bool = False) -> str:
    return "–" if not np.isfinite(v) else f"{100 * v:+.1f}" if signed else f"{100 * v:.1f}"


def measure_text(row: dict, suffix: str = "") -> str:
    """`accuracy 81.8 vs 71.8, difference +10.0 (95% interval +4.1 to +15.9)`, values x100."""
    name = row.get(f"measure{suffix}")
    if not isinstance(name, str):
        return ""
    a, b, d = (row[f"{k}{suffix}"] for k in ("a", "b", "difference"))
    lo, hi, p = (row[f"{k}{suffix}"] for k in ("ci_low", "ci_high", "p"))
    text = f"{name} {_x100(a)} vs {_x100(b)}, difference {_x100(d, True)}"
    if np.isfinite(lo):
        return f"{text} (95% interval {_x100(lo, True)} to {_x100(hi, True)})"
    return f"{text} (p = {p:.2g})" if np.isfinite(p) else text


def all_measures(row: dict) -> str:
    """Every measure of the row in words, the deciding ones first, `;`-separated."""
    texts = [measure_text(row, "" if i == 1 else f"_{i}") for i in range(1, 6)]
    return "; ".join(filter(None, texts))


def _gap(row: dict) -> str:
    """C5/C8: the share of the gold gap recovered, said only where gold beat the teacher."""
    if row["claim"] not in ("C5", "C8") or "recovered_a" not in row:
        return ""
    rec = row["recovered_a"]
    if not np.isfinite(rec):
        return (
            " Gold labels did not beat the teacher's here, so there is no gap to gold to "
            "recover; the row compares macro-F1 only."
        )
    return (
        f" The first source named recovers {100 * rec:.0f}% of the macro-F1 gap between the "
        "teacher's labels and gold."
    )


def _collapse_caveat(row: dict) -> str:
    if not row.get("collapsed") or row["verdict"] == COLLAPSED:
        return ""
    return (
        f" Near-collapsed students take part ({row['collapsed']}): they answer (almost) one "
        "class, so this reading rests partly on students that learned little from their labels."
    )


def sentence(row: dict) -> str:
    """The row in words a reader without statistics reads correctly."""
    text = _sentence(row)
    if row["verdict"] in (HOLDS, FAILS, TRADE, UNDETERMINED):
        text += _gap(row)
    return text + _collapse_caveat(row)


def _sentence(row: dict) -> str:
    verdict, claim = row["verdict"], row["claim_tested"]
    if verdict.startswith("not applicable"):
        return f"Not applicable: {row['why']}."
    nums = all_measures(row) + "."
    noise = f"{row['seeds']} seeds and {row['items']} test items"
    p = row.get("p_holm", np.nan)
    adjusted = (
        f"p = {p:.2g} after Holm's correction over {row['family']} checks"
        if row.get("family", 1) > 1
        else f"p = {p:.2g}"
    )
    if verdict == HOLDS:
        return (
            f"Holds: {claim}. {nums} The difference is larger than seed-to-seed and test-set "
            f"noise explain ({adjusted})."
        )
    if verdict == TRADE:
        return (
            f"Trade: macro-F1 rises but accuracy falls, both beyond noise ({adjusted}). {nums} "
            "The labels buy balance between classes with accuracy; that is not a recovery of "
            "the gap to gold."
        )
    if verdict == FAILS:
        return (
            f"Does not hold: the run measures the reverse of the claim that {claim}. {nums} "
            f"The reverse difference is larger than noise explains ({adjusted})."
        )
    if verdict == COLLAPSED:
        return (
            f"Undetermined, whether {claim}: near-collapsed students ({row['collapsed']}). A "
            "student that answers (almost) one class agrees with itself across seeds, varies "
            "little and gains nothing with more data, whatever its labels."
        )
    if verdict == TOO_FEW:
        return (
            f"Undetermined, whether {claim}: the run has {row['seeds']} seeds and this test "
            f"{row['why']} (`grid.seeds`). {nums}"
        )
    if verdict == UNCHANGED:
        return (
            "Does not hold: calibration moved no training label's class, so its students are "
            "those of the plain labels, seed for seed."
        )
    why = row.get("why")
    if why == "undefined":
        reason = "the test needs students that do not all answer one class"
    elif why == "measures disagree":
        reason = "the measures point different ways"
    elif why == "accuracy":
        reason = (
            "macro-F1 rises beyond noise, but the run can neither rule out an accuracy loss "
            "of the margin or more nor show a loss"
        )
    else:
        reason = f"with {noise}, a difference this size is within noise ({adjusted})"
        lo, hi = row.get("ci_low", np.nan), row.get("ci_high", np.nan)
        if row.get("family", 1) > 1 and (lo > 0 or hi < 0):
            reason += (
                "; the 95% interval excludes 0 for this row alone, but not once the "
                f"{row['family']} checks are corrected for together"
            )
    return (
        f"Undetermined: the run cannot tell whether {claim}. {nums} {reason[0].upper()}"
        f"{reason[1:]}; this is not evidence that there is no difference."
    )
