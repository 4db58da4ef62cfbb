"""The paper's Tables 1 and 2 as reference data, and the run's values beside them.

Paper ids: datasets imdb, ecommerce, manifestos, toxic; teachers qwen2.5-3b, qwen2.5-7b. A run
value appears wherever the run has the same dataset and label-source id; the paper's Table 2
entropy row (alpha not stated) is set beside each of the run's entropy alphas.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

PAPER_TABLES = Path(__file__).parent / "reference" / "paper_tables.csv"
METRICS = ["acc_mean", "f1_mean", "alpha", "acc_std", "f1_std", "p_uc"]


def load(path: str | Path = PAPER_TABLES) -> pd.DataFrame:
    return pd.read_csv(path, comment="#")


def _matches(paper_source: str, run_sources) -> list[str]:
    if paper_source.endswith("/entropy"):
        return [s for s in run_sources if s.startswith(paper_source) and s != paper_source]
    return [s for s in run_sources if s == paper_source]


def beside(reference: pd.DataFrame, summary: pd.DataFrame) -> pd.DataFrame:
    """Long table: table, dataset, source (paper), run_source, metric, paper, run, difference
    (run minus paper, x100 like the paper); run columns empty where the ids do not match."""
    rows = []
    for (table, ds, src), ref in reference.groupby(["table", "dataset", "source"], sort=False):
        sub = summary[summary.dataset == ds]
        top = sub[sub["size"] == sub["size"].max()].set_index("source") if len(sub) else sub
        for run_src in _matches(src, list(top.index)) or [""]:
            for _, r in ref.iterrows():
                run = 100 * float(top.loc[run_src, r.metric]) if run_src else np.nan
                rows.append(
                    {
                        "table": table,
                        "dataset": ds,
                        "source": src,
                        "run_source": run_src,
                        "metric": r.metric,
                        "paper": r.value,
                        "run": run,
                        "difference": run - r.value,
                    }
                )
    return pd.DataFrame(rows)


def beside_markdown(long: pd.DataFrame) -> str:
    """One line per (table, dataset, source): `paper / run (difference)` per metric."""

    def cell(r):
        if np.isnan(r.run):
            return f"{r.paper:.2f} / –"
        return f"{r.paper:.2f} / {r.run:.2f} ({r.difference:+.2f})"

    long = long.assign(cell=long.apply(cell, axis=1))
    wide = long.pivot_table(
        index=["table", "dataset", "source", "run_source"],
        columns="metric",
        values="cell",
        aggfunc="first",
        sort=False,
    )[METRICS].reset_index()
    head = (
        "Paper (Lu & Smith 2025, arXiv:2504.15432, Tables 1-2) / this run at its largest size "
        "(run minus paper), x100. – : the run has no such dataset and label source."
    )
    return head + "\n\n" + wide.to_markdown(index=False) + "\n"
