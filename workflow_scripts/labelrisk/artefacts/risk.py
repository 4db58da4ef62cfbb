"""The report's first page: per dataset and teacher, what training on the teacher's labels
costs against gold, in numbers and in sentences a non-statistician reads correctly.

Reads three tables, through small interfaces:
- per-item predictions (`results/metrics/<dataset>/<source>.items.parquet`: size, seed, id,
  gold, pred) of gold and of the teacher's plain labels, for the cost over paired seeds;
- the gap each source recovers (`labelrisk.artefacts.budget.gap_recovered` of summary.csv);
- the claims table, columns `claim`, `dataset`, `teacher`, `verdict` and the verdict's sentence
  (`sentence`, else `reads`); and, where present, C1's (gold against the teacher's labels)
  `measure`, `difference`, `ci_low`, `ci_high` and the same with `_2`, whose intervals cover
  the variation over seeds and test items: the cost's interval is C1's where the table has it,
  else a t interval over the seeds alone (narrow by chance with few seeds).

Beside them, from the predictions: the smallest accuracy cost the run's own seeds and test items
detect with 80% power (`detectable_cost`) and the near-collapsed students of each side.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.metrics import accuracy_score, f1_score

from labelrisk.artefacts.claims.inference import crossed
from labelrisk.artefacts.claims.power import detectable
from labelrisk.artefacts.claims.verdict import Verdict
from labelrisk.evaluation.metrics import DEFAULT_COLLAPSE, CollapseRule, collapse_flags


def per_seed(items: pd.DataFrame, size: int, n_classes: int) -> pd.DataFrame:
    """Accuracy, macro-F1 and each class's F1 of every seed's student at one size."""
    rows = []
    for seed, run in items[items["size"] == size].groupby("seed"):
        f1 = f1_score(run.gold, run.pred, labels=range(n_classes), average=None, zero_division=0)
        row = {"seed": seed, "accuracy": accuracy_score(run.gold, run.pred)}
        row |= {"macro_f1": float(np.mean(f1))}
        row |= {f"f1_class_{k}": float(v) for k, v in enumerate(f1)}
        rows.append(row)
    return pd.DataFrame(rows).set_index("seed")


def paired_difference(a: pd.Series, b: pd.Series, level: float = 0.95) -> tuple:
    """Mean of a - b over the seeds both have, and its t interval (NaN with one seed)."""
    d = (a - b).dropna()
    mean = float(d.mean())
    if len(d) < 2:
        return mean, np.nan, np.nan
    if d.std(ddof=1) == 0:  # every seed moved by the same amount
        return mean, mean, mean
    half = stats.t.ppf((1 + level) / 2, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
    return mean, mean - half, mean + half


def cost_row(gold: pd.DataFrame, llm: pd.DataFrame, labels: Sequence[str]) -> dict:
    """The cost of the teacher's labels at one size: differences to gold, seed for seed; the
    spread over seeds; the minority class (the rarest in the test set) and its F1."""
    row = {"seeds": len(gold.index.intersection(llm.index))}
    for m in ("accuracy", "macro_f1"):
        row[f"{m}_gold"], row[f"{m}_teacher"] = gold[m].mean(), llm[m].mean()
        d, lo, hi = paired_difference(llm[m], gold[m])
        row |= {f"{m}_cost": d, f"{m}_low": lo, f"{m}_high": hi}
    row["f1_sd_gold"], row["f1_sd_teacher"] = gold.macro_f1.std(ddof=1), llm.macro_f1.std(ddof=1)
    return row


MEASURES = {"accuracy": "accuracy", "macro-F1": "macro_f1"}


def claim_intervals(claims: pd.DataFrame, dataset: str, teacher: str) -> dict:
    """The cost (teacher minus gold) and its interval from C1's row (gold minus teacher)."""
    rows = claims[(claims.claim == "C1") & (claims.dataset == dataset)]
    rows = rows[rows.teacher == teacher]
    out = {}
    if len(rows) != 1:
        return out
    r = rows.iloc[0]
    for suffix in ("", "_2"):
        name = MEASURES.get(r.get(f"measure{suffix}"))
        if name is None or not np.isfinite(r.get(f"ci_low{suffix}", np.nan)):
            continue
        out[f"{name}_cost"] = -float(r[f"difference{suffix}"])
        out[f"{name}_low"] = -float(r[f"ci_high{suffix}"])
        out[f"{name}_high"] = -float(r[f"ci_low{suffix}"])
    return out


def _table(items: pd.DataFrame, size: int, value: str) -> pd.DataFrame:
    """seeds x items of one column at one size."""
    return items[items["size"] == size].pivot(index="seed", columns="id", values=value)


def collapsed_seeds(items: pd.DataFrame, size: int, n_classes: int, rule: CollapseRule) -> str:
    """`seeds 2, 5`: the near-collapsed students at one size (`rule`), empty when none."""
    preds, gold = _table(items, size, "pred"), _table(items, size, "gold")
    flags = collapse_flags(gold.iloc[0].to_numpy(), preds.to_numpy(), n_classes, rule)
    hit = [str(s) for s, f in zip(preds.index, flags, strict=True) if f]
    return ("seed " if len(hit) == 1 else "seeds ") + ", ".join(hit) if hit else ""


def detectable_cost(gold: pd.DataFrame, llm: pd.DataFrame, size: int, level: float) -> float:
    """The smallest accuracy cost C1's crossed test finds with 80% power, from this run's own
    seed and item variance (NaN below 3 seeds)."""
    g, t = _table(gold, size, "pred"), _table(llm, size, "pred")
    truth = _table(gold, size, "gold")
    seeds = g.index.intersection(t.index)
    right = (g.loc[seeds] == truth.loc[seeds]).astype(float)
    d = right.to_numpy() - (t.loc[seeds, g.columns] == truth.loc[seeds]).to_numpy()
    test = crossed(float(d.mean()), d)
    return detectable(test.se, test.df, level)


def minority(items: pd.DataFrame) -> int:
    """The class with the fewest gold test items (the first of a tie)."""
    counts = items.drop_duplicates("id").gold.value_counts()
    return int(counts.sort_index().idxmin())


def best_mitigation(recovered: pd.DataFrame, dataset: str, teacher: str) -> dict:
    """The mitigation recovering most of the gold-vs-teacher gap per 100 gold labels spent, and
    the best gold-free one (`budget.gap_recovered` rows at the largest size)."""
    sub = recovered[(recovered.dataset == dataset) & (recovered.teacher == teacher)]
    sub = sub[sub.method != "llm"].dropna(subset=["recovered"])
    out = {"best_per_gold": "", "recovered_per_100_gold": np.nan, "best_gold_free": ""}
    out["mitigations_run"] = len(sub)
    spend = sub[(sub.gold_train > 0) & (sub.recovered > 0)]
    if len(spend):
        # Percent of the gap per 100 gold training labels.
        per = 100 * spend.recovered / spend.gold_train * 100
        top = per.idxmax()
        out |= {"best_per_gold": spend.source[top], "recovered_per_100_gold": float(per[top])}
        out["best_per_gold_recovered"] = float(spend.recovered[top])
        out["best_per_gold_spent"] = float(spend.gold_train[top])
    free = sub[sub.gold_train == 0]
    if len(free) and free.recovered.max() > 0:
        top = free.recovered.idxmax()
        out |= {"best_gold_free": free.source[top], "gold_free_recovered": free.recovered[top]}
    return out


def verdicts(claims: pd.DataFrame, dataset: str, teacher: str) -> list[str]:
    """`C1: the run supports it. <the claim's sentence>` for each claim row of this pair (rows
    without a teacher, such as a dataset-wide claim, belong to every teacher)."""
    text = "sentence" if "sentence" in claims else "reads"
    mine = claims[(claims.dataset == dataset) & (claims.teacher.fillna(teacher) == teacher)]
    out = []
    for r in mine.itertuples():
        plain = Verdict.plain_of(r.verdict)
        said = getattr(r, text, "")
        out.append(f"{r.claim}: {plain}." + (f" {said}" if isinstance(said, str) else ""))
    return out


def _pts(v: float, signed: bool = True) -> str:
    return "–" if not np.isfinite(v) else f"{100 * v:+.1f}" if signed else f"{100 * v:.1f}"


def cost_sentence(r: dict) -> str:
    """The cost in words: measured (the interval excludes 0), or not distinguishable."""
    parts = []
    for m, name in (("accuracy", "accuracy"), ("macro_f1", "macro-F1")):
        d, lo, hi = r[f"{m}_cost"], r[f"{m}_low"], r[f"{m}_high"]
        interval = f" (95% interval {_pts(lo)} to {_pts(hi)})" if np.isfinite(lo) else ""
        parts.append(f"{name} {_pts(d)} points{interval}")
    text = f"Against gold, students trained on {r['teacher']}'s labels score " + "; ".join(parts)
    lo, hi = r["macro_f1_low"], r["macro_f1_high"]
    if np.isfinite(lo) and hi < 0:
        return text + ": a macro-F1 cost this run measured."
    if np.isfinite(lo) and lo > 0:
        return text + ": the teacher's labels did better than gold in macro-F1 here."
    return (
        text + ": the run cannot tell this from no difference (more seeds or test items narrow it)."
    )


def risk_table(
    items: dict[tuple[str, str], pd.DataFrame],
    recovered: pd.DataFrame,
    labels: dict[str, Sequence[str]],
    teachers: Sequence[str],
    claims: pd.DataFrame | None = None,
    collapse: CollapseRule = DEFAULT_COLLAPSE,
    level: float = 0.05,
) -> pd.DataFrame:
    """One row per (dataset, teacher) at the dataset's largest size. `items` maps (dataset,
    source id) to its per-item predictions, for `gold` and each `<teacher>/llm`; the cost's
    interval is C1's from `claims` where it has one (`interval`: which). `detectable_cost`:
    the smallest accuracy cost this run's seeds and test items find with 80% power;
    `collapsed_gold`, `collapsed_teacher`: the near-collapsed students (`collapse`)."""
    rows = []
    for dataset, names in labels.items():
        gold_items = items[(dataset, "gold")]
        size = int(gold_items["size"].max())
        gold = per_seed(gold_items, size, len(names))
        low = minority(gold_items)
        for teacher in teachers:
            llm_items = items[(dataset, f"{teacher}/llm")]
            llm = per_seed(llm_items, size, len(names))
            row = {"dataset": dataset, "teacher": teacher, "size": size}
            row |= cost_row(gold, llm, names)
            c1 = {} if claims is None else claim_intervals(claims, dataset, teacher)
            row |= c1
            row["interval"] = "seeds and test items (C1)" if c1 else "seeds (t)"
            row["items"] = int(gold_items.id.nunique())
            row["detectable_cost"] = detectable_cost(gold_items, llm_items, size, level)
            row["collapsed_gold"] = collapsed_seeds(gold_items, size, len(names), collapse)
            row["collapsed_teacher"] = collapsed_seeds(llm_items, size, len(names), collapse)
            row |= {"minority": names[low], "minority_share": _share(gold_items, low)}
            row["minority_f1_gold"] = gold[f"f1_class_{low}"].mean()
            row["minority_f1_teacher"] = llm[f"f1_class_{low}"].mean()
            row |= best_mitigation(recovered, dataset, teacher)
            rows.append(row)
    return pd.DataFrame(rows)


def _share(items: pd.DataFrame, k: int) -> float:
    test = items.drop_duplicates("id")
    return float((test.gold == k).mean())


def collapse_note(r: dict) -> str:
    """` (near-collapsed students: teacher's labels seeds 1, 3)` where the row has any."""
    parts = [
        f"{who} {r.get(k)}"
        for who, k in (("gold", "collapsed_gold"), ("teacher's labels", "collapsed_teacher"))
        if isinstance(r.get(k), str) and r.get(k)
    ]
    if not parts:
        return ""
    return (
        f" This rests partly on near-collapsed students ({'; '.join(parts)}), which answer "
        "(almost) one class whatever the input."
    )


def power_sentence(r: dict) -> str:
    """What the run could not see: the accuracy cost below its 80%-power detectable cost."""
    x = r.get("detectable_cost", np.nan)
    if not np.isfinite(x):
        return "Power: with fewer than 3 seeds the run gives no detectable cost."
    return (
        f"Power: with these {r['seeds']} seeds and {r['items']} test items, an accuracy cost below "
        f"{100 * x:.1f} points could not be seen (C1 finds a cost this large 80% of the time; "
        "more seeds or test items lower it)."
    )


def mitigation_lines(r: dict) -> list[str]:
    """The mitigation that recovers most of the gap per gold label spent, and the one that
    recovers most without gold, each with what it costs and recovers; neither is called best
    outright (which is better depends on what a gold label costs the reader)."""
    if not r.get("mitigations_run"):
        return ["Mitigation: none was run on this teacher's labels (`mitigations.teachers`)."]
    lines = []
    if r.get("best_per_gold"):
        lines.append(
            f"Mitigation per gold label: {r['best_per_gold']} recovers the most per gold label: "
            f"{_pts(r['best_per_gold_recovered'], False)}% of the gap to gold for "
            f"{r['best_per_gold_spent']:.0f} gold training labels "
            f"({r['recovered_per_100_gold']:.1f}% of the gap per 100 gold labels)."
        )
    else:
        lines.append("Mitigation per gold label: none that spends gold recovered part of the gap.")
    if r.get("best_gold_free"):
        lines.append(
            f"Mitigation without gold: {r['best_gold_free']} recovers the most of those that "
            f"spend no gold label: {_pts(r['gold_free_recovered'], False)}% of the gap, for 0 "
            "gold training labels."
        )
    else:
        lines.append("Mitigation without gold: none recovered part of the gap.")
    return lines


def summary_lines(r: dict, claims: pd.DataFrame) -> list[str]:
    """The sentences of one (dataset, teacher): cost, power, stability, minority, mitigation,
    verdicts; each resting on near-collapsed students says so."""
    caveat = collapse_note(r)
    lines = [cost_sentence(r) + caveat, power_sentence(r)]
    lines.append(
        f"Stability: macro-F1 varies by {_pts(r['f1_sd_teacher'], False)} points (standard "
        f"deviation over {r['seeds']} seeds) on the teacher's labels, "
        f"{_pts(r['f1_sd_gold'], False)} on gold.{caveat}"
    )
    lines.append(
        f"Minority class '{r['minority']}' ({_pts(r['minority_share'], False)}% of the test "
        f"set): F1 {_pts(r['minority_f1_teacher'], False)} on the teacher's labels against "
        f"{_pts(r['minority_f1_gold'], False)} on gold.{caveat}"
    )
    return lines + mitigation_lines(r) + verdicts(claims, r["dataset"], r["teacher"])


def markdown(table: pd.DataFrame, claims: pd.DataFrame) -> str:
    out = ["# Risk summary: training on the teacher's labels instead of gold", ""]
    for r in table.to_dict("records"):
        out += [f"## {r['dataset']}, teacher {r['teacher']} (n = {r['size']})", ""]
        out += [f"- {line}" for line in summary_lines(r, claims)] + [""]
    return "\n".join(out)


def first_page(table: pd.DataFrame, claims: pd.DataFrame) -> str:
    """The report's first page, short enough to read at a glance (the Snakemake report centres
    its front page, so a long one loses its top, and sets the workflow graph beside it, so a
    wide table runs under the graph): a narrow table of the numbers, then each (dataset,
    teacher)'s cost in a sentence and its verdicts."""
    rows = [
        [
            "dataset, teacher",
            "accuracy cost",
            "macro-F1 cost",
            "F1 SD teacher / gold",
            "minority F1 teacher / gold",
            "mitigation: per gold label / without gold",
        ]
    ]
    words = []
    for r in table.to_dict("records"):
        cost = [
            f"{_pts(r[f'{m}_cost'])} [{_pts(r[f'{m}_low'])}, {_pts(r[f'{m}_high'])}]"
            for m in ("accuracy", "macro_f1")
        ]
        mine = claims[
            (claims.dataset == r["dataset"]) & (claims.teacher.fillna(r["teacher"]) == r["teacher"])
        ]
        said = "; ".join(
            f"{c.claim} {Verdict.short_of(c.verdict)}"
            for c in mine.drop_duplicates(["claim", "verdict"]).itertuples()
        )
        best = _mitigation_cell(r)
        rows.append(
            [
                f"{r['dataset']}, {r['teacher']} (n = {r['size']})",
                *cost,
                f"{_pts(r['f1_sd_teacher'], False)} / {_pts(r['f1_sd_gold'], False)}",
                f"{r['minority']}: {_pts(r['minority_f1_teacher'], False)} / "
                f"{_pts(r['minority_f1_gold'], False)}",
                best,
            ]
        )
        words.append(
            f"- {r['dataset']}, {r['teacher']}: {cost_sentence(r)}{collapse_note(r)}"
            + (f" Verdicts: {said}." if said else "")
        )
    out = [".. list-table::", "   :header-rows: 1", ""]
    for row in rows:
        out += [f"   * - {_escape(str(row[0]))}"] + [f"     - {_escape(str(v))}" for v in row[1:]]
    out += ["", "In words:", ""]
    out += [_escape(w) for w in words]
    return "\n".join(out) + "\n"


def _mitigation_cell(r: dict) -> str:
    """`entropy25 (27%, 250 gold) / calibrated_prior (63%, no gold)`: the best per gold label
    and the best without gold, each with the share of the gap it recovers and its gold cost
    (the teacher is the row's)."""
    if not r.get("mitigations_run"):
        return "none run"
    per, free = r.get("best_per_gold"), r.get("best_gold_free")
    a = (
        f"{per.rpartition('/')[2]} ({_pts(r['best_per_gold_recovered'], False)}%, "
        f"{r['best_per_gold_spent']:.0f} gold)"
        if per
        else "none recovered"
    )
    b = (
        f"{free.rpartition('/')[2]} ({_pts(r['gold_free_recovered'], False)}%, no gold)"
        if free
        else "none recovered"
    )
    return f"{a} / {b}"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("*", "\\*").replace("`", "\\`").replace("_", "\\_")
