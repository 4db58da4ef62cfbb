"""Minority classes: per-class F1 of students on gold vs on each teacher's labels, at the
largest size, set against each class's share of the pool."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from labelrisk.labels.mitigations import Source


def class_shares(teachers: pd.DataFrame, dataset: str) -> np.ndarray:
    """Gold class shares of the dataset's pool (the same in every teacher-quality row)."""
    row = teachers[teachers.dataset == dataset].iloc[0]
    cols = sorted((c for c in teachers if c.startswith("share_class_")), key=lambda c: int(c[12:]))
    return row[cols].to_numpy(dtype=float)


def collapsed_note(top: pd.DataFrame, sources: Sequence[str]) -> str:
    """`source: seed 3 (0.99)` for the sources of summary rows `top` (indexed by source) that
    have near-collapsed students."""
    if "collapsed" not in top:
        return ""
    notes = {s: top.loc[s, "collapsed"] for s in sources if s in top.index}
    return "; ".join(f"{s}: {n}" for s, n in notes.items() if isinstance(n, str) and n)


def class_f1_drop(
    summary: pd.DataFrame, teachers: pd.DataFrame, labels: Mapping[str, Sequence[str]]
) -> pd.DataFrame:
    """One row per (dataset, teacher, class): pool share, F1 on gold, F1 on the teacher's plain
    labels and the drop (gold minus LLM), at the dataset's largest size, with the near-collapsed
    students of either source; sorted by drop within each dataset."""
    rows = []
    for ds, names in labels.items():
        sub = summary[summary.dataset == ds]
        if sub.empty:
            continue
        top = sub[sub["size"] == sub["size"].max()].set_index("source")
        shares = class_shares(teachers, ds)
        gold_id = Source.gold_labels().id
        for src in [s for s in top.index if Source.parse(s).is_teacher_labels]:
            for k, name in enumerate(names):
                gold, llm = top.loc[gold_id, f"f1_class_{k}"], top.loc[src, f"f1_class_{k}"]
                rows.append(
                    {
                        "dataset": ds,
                        "teacher": top.loc[src, "teacher"],
                        "class": name,
                        "pool_share": shares[k],
                        "f1_gold": gold,
                        "f1_llm": llm,
                        "f1_drop": gold - llm,
                        "collapsed": collapsed_note(top, [gold_id, src]),
                    }
                )
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    order = {d: i for i, d in enumerate(labels)}
    return out.sort_values(
        ["dataset", "f1_drop"], key=lambda c: c.map(order) if c.name == "dataset" else -c
    ).reset_index(drop=True)


def minority_figure(drops: pd.DataFrame, datasets: Sequence[str]):
    """Per dataset: grouped bars of per-class F1, gold and each teacher; classes by pool share."""
    fig, axes = plt.subplots(1, len(datasets), figsize=(5 * len(datasets), 3.8), squeeze=False)
    for ax, ds in zip(axes.flat, datasets, strict=False):
        sub = drops[drops.dataset == ds]
        classes = sub.drop_duplicates("class").sort_values("pool_share")
        x = np.arange(len(classes))
        teachers = list(dict.fromkeys(sub.teacher))
        width = 0.8 / (1 + len(teachers))
        gold = classes.set_index("class").f1_gold
        ax.bar(x, gold.to_numpy(), width, label="gold labels", color="C0")
        for i, t in enumerate(teachers):
            f1 = sub[sub.teacher == t].set_index("class").loc[classes["class"], "f1_llm"]
            ax.bar(
                x + (i + 1) * width, f1.to_numpy(), width, label=f"{t} labels", color=f"C{i + 1}"
            )
        ax.set_xticks(x + width * len(teachers) / 2)
        ax.set_xticklabels(
            [
                f"{c}\n{s:.0%} of pool"
                for c, s in zip(classes["class"], classes.pool_share, strict=True)
            ]
        )
        ax.set_ylim(0, 1)
        ax.set_title(ds)
        ax.set_ylabel("per-class F1 (mean over seeds)")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), frameon=True)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig
