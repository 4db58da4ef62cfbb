"""The paper's Tables 1 and 2 from the summary table, as CSV, Markdown and LaTeX."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from labelrisk.labels.mitigations import Source

TOP = ["acc_mean", "f1_mean", "alpha"]
BOTTOM = ["acc_std", "f1_std", "p_uc"]
HEAD = ["µacc / σacc", "µf1 / σf1", "αK / puc"]
COLLAPSED = "collapsed"


def display_name(source: str) -> str:
    """The source's name in tables and figures, as its family declares it."""
    return Source.parse(source).display


def paper_table(
    summary: pd.DataFrame, datasets: Sequence[str], sources: Sequence[str]
) -> pd.DataFrame:
    """Two rows per label source at each dataset's largest size, x100 as in the paper.

    First row: mean accuracy, mean macro-F1, Krippendorff's alpha; second row: their standard
    deviations across seeds and the share of unchanged predictions p_uc. A `collapsed` column
    per dataset names, on a source's first row, its near-collapsed students (seed and largest
    predicted-class share): their seeds' numbers measure a failed run, not the labels.
    """
    cols = pd.MultiIndex.from_product([list(datasets), [*HEAD, COLLAPSED]])
    rows, index = [], []
    for src in sources:
        for stats, kind in ((TOP, "mean, αK"), (BOTTOM, "std, puc")):
            vals = []
            for ds in datasets:
                sub = summary[(summary.dataset == ds) & (summary.source == src)]
                if sub.empty:
                    vals += [float("nan")] * 4
                    continue
                top = sub[sub["size"] == sub["size"].max()].iloc[0]
                vals += [100 * top[s] for s in stats]
                note = top.get(COLLAPSED, "")
                vals.append(note if kind.startswith("mean") and isinstance(note, str) else "")
            rows.append(vals)
            index.append((display_name(src), kind))
    return pd.DataFrame(
        rows, index=pd.MultiIndex.from_tuples(index, names=["label", "row"]), columns=cols
    )


def write(table: pd.DataFrame, csv: Path, md: Path, tex: Path, caption: str) -> None:
    table.round(2).to_csv(csv)
    flat = table.copy()
    flat.columns = [f"{d} {h}" for d, h in flat.columns]
    flat = flat.reset_index()
    body = flat.to_markdown(index=False, floatfmt=".2f", missingval="–")
    Path(md).write_text(f"{caption}\n\n{body}\n")
    Path(tex).write_text(
        table.to_latex(float_format="%.2f", caption=caption, multicolumn_format="c", na_rep="--")
    )


def table1_sources(teachers: Sequence[str]) -> list[str]:
    return [Source.gold_labels().id] + [Source.labels_of(t).id for t in teachers]


def table2_sources(summary: pd.DataFrame, teachers: Sequence[str]) -> list[str]:
    """Gold, then each mitigated teacher's plain labels and its mitigations, in summary order."""
    present = list(dict.fromkeys(summary.source))
    mitigated = [s for t in teachers for s in present if Source.parse(s).teacher == t]
    return [Source.gold_labels().id, *mitigated]
