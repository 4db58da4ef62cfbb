"""Budget-matched comparison: the share of the gold-vs-LLM macro-F1 gap each label source
recovers at the largest size, against the gold labels it spends."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from labelrisk.artefacts.minority import collapsed_note
from labelrisk.artefacts.tables import display_name
from labelrisk.labels.mitigations import Source


def gap_recovered(summary: pd.DataFrame) -> pd.DataFrame:
    """One row per (dataset, source) at the dataset's largest size.

    recovered = (F1 of the source - F1 on the teacher's plain labels) / (F1 on gold - F1 on the
    teacher's plain labels): 0 for the plain labels, 1 for gold, undefined (NaN) when the
    teacher's labels are not worse than gold. Gold spent is the mean over seeds of the training
    labels replaced by gold (`gold_train`); validation gold (`gold_val`) is listed beside it,
    and the source's near-collapsed students (`collapsed`), whose seeds pull its F1 down.
    """
    rows = []
    for ds, sub in summary.groupby("dataset", sort=False):
        top = sub[sub["size"] == sub["size"].max()].set_index("source")
        gold_f1 = top.loc[Source.gold_labels().id, "f1_mean"]
        for src, r in top.iterrows():
            source = Source.parse(src)
            baseline = source if source.is_gold else Source.labels_of(source.teacher)
            llm_f1 = top.loc[baseline.id, "f1_mean"]
            gap = gold_f1 - llm_f1
            rec = 1.0 if source.is_gold else (r.f1_mean - llm_f1) / gap if gap > 0 else np.nan
            rows.append(
                {
                    "dataset": ds,
                    "source": src,
                    "teacher": r.teacher if isinstance(r.teacher, str) else "",
                    "method": r.method,
                    "size": int(r["size"]),
                    "gold_train": float(r.gold_train),
                    "gold_val": float(r.gold_val),
                    "f1_mean": float(r.f1_mean),
                    "gap": float(gap),
                    "recovered": float(rec),
                    "collapsed": collapsed_note(top, [src]),
                }
            )
    return pd.DataFrame(rows)


def budget_figure(recovered: pd.DataFrame, datasets: Sequence[str]):
    """One panel per dataset: share of the gap recovered against gold labels spent."""
    n = len(datasets)
    fig, axes = plt.subplots(1, n, figsize=(5 * n, 4), squeeze=False)
    sources = list(dict.fromkeys(recovered.source))
    markers = "osD^v<>pPX*h"
    style = {s: (f"C{i % 10}", markers[i % len(markers)]) for i, s in enumerate(sources)}
    for ax, ds in zip(axes.flat, datasets, strict=False):
        sub = recovered[recovered.dataset == ds]
        for _, r in sub.iterrows():
            color, marker = style[r.source]
            ax.plot(
                r.gold_train, r.recovered, marker, color=color, ms=8, label=display_name(r.source)
            )
        ax.axhline(0, color="grey", lw=0.8, ls=":")
        ax.axhline(1, color="grey", lw=0.8, ls=":")
        ax.set_title(f"{ds} (n = {sub['size'].max() if len(sub) else '?'})")
        ax.set_xlabel("gold training labels spent (mean over seeds)")
        ax.set_ylabel("macro-F1 gap recovered (share)")
    handles, labels = [], []
    for ax in axes.flat:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 2 * n), frameon=True)
    fig.tight_layout(rect=(0, 0.08 + 0.05 * (len(labels) // (2 * n)), 1, 1))
    return fig


def with_gold_budget(table: pd.DataFrame, summary: pd.DataFrame, datasets: Sequence[str]):
    """Table 2 plus a gold column per dataset: training gold spent (first row of a source),
    validation gold (second row), at the largest size; not scaled by 100."""
    out = table.copy()
    names = {display_name(src): src for src in summary.source.unique()}
    for ds in datasets:
        vals = []
        for label, kind in out.index:
            sub = summary[(summary.dataset == ds) & (summary.source == names.get(label))]
            if sub.empty:
                vals.append(np.nan)
                continue
            top = sub[sub["size"] == sub["size"].max()].iloc[0]
            vals.append(top.gold_train if kind.startswith("mean") else top.gold_val)
        out[(ds, "gold train / val")] = vals
    order = [
        (ds, h) for ds in datasets for h in dict.fromkeys(h for d, h in out.columns if d == ds)
    ]
    return out[order]
