"""From a comparison's measures to its verdict and the sentence that explains it.

A row's p-value is the largest of its deciding measures' two-sided p-values when they point the
same way (an intersection-union test: the row holds only where every deciding measure does, at
the same 5% level), and 1 when they point different ways. Holm's correction runs within each
claim over the rows that can reach a verdict. `holds` when the Holm-adjusted p is below the
level and the difference has the claim's sign, `does not hold` when it has the other sign,
`undetermined` otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from labelrisk.artefacts.claims.inference import holm
from labelrisk.artefacts.claims.plan import COLLAPSE_SENSITIVE, TRADES, Comparison
from labelrisk.artefacts.claims.runs import Runs

HOLDS, FAILS, UNDETERMINED = "holds", "does not hold", "undetermined"
COLLAPSED = "undetermined: collapsed"
# C8 when calibration changed no prediction of any student: nothing recovered, exactly.
UNCHANGED = "does not hold: same predictions"
TRADE = "trade: macro-F1 up, accuracy down"
MEASURE_COLUMNS = ["measure", "a", "b", "difference", "ci_low", "ci_high", "p", "seeds_for"]


def collapsed_note(runs: Runs, involved: Sequence, share: float) -> str:
    """`source n=size: seed 3 (0.99), ...` for every near-collapsed student, `;`-separated."""
    notes = []
    for key in dict.fromkeys(involved):
        hits = runs.collapsed(key, share)
        if hits:
            seeds = ", ".join(f"seed {s} ({x:.2f})" for s, x in hits)
            notes.append(f"{key[0]} n={key[1]}: {seeds}")
    return "; ".join(notes)


def assess(c: Comparison, runs: Runs, collapse_share: float) -> dict:
    """The row of one comparison before Holm's correction: every measure, the collapsed
    students, and either a final verdict or the p-value the claim's correction will read."""
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
    row["collapsed"] = collapsed_note(runs, c.involved, collapse_share)
    deciding = [ms.test for ms in measures[: c.decides]]
    signs = {t.sign for t in deciding}
    row["direction"] = signs.pop() if len(signs) == 1 else 0
    row["disagree"] = {-1, 1} <= {t.sign for t in deciding}
    if row["collapsed"] and c.claim in COLLAPSE_SENSITIVE:
        row["verdict"] = COLLAPSED
    elif c.same and runs.same(*c.same):
        row["verdict"] = UNCHANGED
    elif any(not np.isfinite(t.p) for t in deciding):
        row["verdict"], row["why"] = UNDETERMINED, "undefined"
    else:
        row["p_row"] = max(t.p for t in deciding) if row["direction"] else 1.0
        if c.claim in TRADES and len(measures) > 1:
            # A macro-F1 gain with an accuracy interval wholly below 0 is a trade, not a gain.
            row["accuracy_down"] = bool(measures[1].test.high < 0)
    return row


def finish(rows: list[dict], level: float = 0.05) -> list[dict]:
    """Holm's correction within each claim, then the verdicts of the rows still open."""
    for claim in dict.fromkeys(r["claim"] for r in rows):
        open_rows = [r for r in rows if r["claim"] == claim and "p_row" in r]
        for r, p in zip(open_rows, holm([r["p_row"] for r in open_rows]), strict=True):
            r["p_holm"], r["family"] = float(p), len(open_rows)
            if p < level and r["direction"] > 0:
                r["verdict"] = TRADE if r.get("accuracy_down") else HOLDS
            elif p < level and r["direction"] < 0:
                r["verdict"] = FAILS
            else:
                r["verdict"] = UNDETERMINED
                r["why"] = "measures disagree" if r.get("disagree") else "noise"
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


def sentence(row: dict) -> str:
    """The row in words a reader without statistics reads correctly."""
    verdict, claim = row["verdict"], row["claim_tested"]
    if verdict.startswith("not applicable"):
        return f"Not applicable: {row['why']}."
    nums = "; ".join(filter(None, (measure_text(row), measure_text(row, "_2")))) + "."
    noise = f"{row['seeds']} seeds and {row['items']} test items"
    p = row.get("p_holm", np.nan)
    adjusted = (
        f"p = {p:.2g} after Holm's correction over this claim's {row['family']} checks"
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
            f"Trade: macro-F1 rises but accuracy falls. {nums} The labels buy balance between "
            "classes with accuracy; that is not a recovery of the gap to gold."
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
    if verdict == UNCHANGED:
        return (
            "Does not hold: calibration moved no training label's class, so its students are "
            "those of the plain labels, seed for seed."
        )
    why = row.get("why")
    if why == "undefined":
        reason = "the test needs at least 3 seeds and students that do not all answer one class"
    elif why == "measures disagree":
        reason = "the measures point different ways"
    else:
        reason = f"with {noise}, a difference this size is within noise ({adjusted})"
        lo, hi = row.get("ci_low", np.nan), row.get("ci_high", np.nan)
        if row.get("family", 1) > 1 and (lo > 0 or hi < 0):
            reason += (
                "; the 95% interval excludes 0 for this row alone, but not once the claim's "
                f"{row['family']} checks are corrected for together"
            )
    return (
        f"Undetermined: the run cannot tell whether {claim}. {nums} {reason[0].upper()}"
        f"{reason[1:]}; this is not evidence that there is no difference."
    )
