"""The claims table: every comparison of every dataset, tested, corrected and explained."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from labelrisk.artefacts.claims.plan import Setting, plan
from labelrisk.artefacts.claims.runs import Runs
from labelrisk.artefacts.claims.verdicts import MEASURE_COLUMNS, assess, finish
from labelrisk.evaluation.metrics import DEFAULT_COLLAPSE, CollapseRule

COLUMNS = ["claim", "dataset", "teacher", "claim_tested"]
COLUMNS += MEASURE_COLUMNS + [f"{c}_2" for c in MEASURE_COLUMNS]
COLUMNS += ["p_row", "p_holm", "collapsed", "verdict", "reads"]


def claims_table(
    items: pd.DataFrame,
    summary: pd.DataFrame,
    shares: Mapping[str, np.ndarray],
    n_classes: Mapping[str, int],
    labels: Mapping[str, Sequence[str]],
    parameters: Mapping[str, float | None] | None = None,
    collapse: CollapseRule = DEFAULT_COLLAPSE,
    minority_below: float = 0.4,
    level: float = 0.05,
    accuracy_margin: float = 0.01,
    correction: str = "claim",
) -> pd.DataFrame:
    """One row per comparison of C1-C8 on every dataset the run holds.

    `items`: the per-item predictions (dataset, source, size, seed, id, gold, pred); `summary`:
    the summary table (gold costs); `shares`: each dataset's pool class shares; `parameters`:
    each teacher's declared size (C6)."""
    rows = []
    for ds in labels:
        sub = items[items.dataset == ds]
        if sub.empty:
            continue
        runs = Runs.from_items(sub, n_classes[ds])
        setting = Setting(
            sorted(int(s) for s in sub["size"].unique()),
            # the pool's shares of this dataset's classes (other datasets may have more)
            np.asarray(shares[ds], dtype=float)[: n_classes[ds]],
            labels[ds],
            parameters or {},
            minority_below,
            accuracy_margin,
        )
        large = max(setting.sizes)
        top = summary[(summary.dataset == ds) & (summary["size"] == large)].set_index("source")
        for c in plan(ds, list(dict.fromkeys(sub.source)), setting):
            row = assess(c, runs, collapse, level)
            for src, col in zip(c.costs, ("gold_a", "gold_b"), strict=False):
                row[col] = float(top.loc[src, "gold_train"]) if src in top.index else np.nan
            rows.append(row)
    out = pd.DataFrame(finish(rows, level, correction))
    if out.empty:
        return pd.DataFrame(columns=COLUMNS)
    keep = [
        c for c in out.columns if c not in ("direction", "disagree", "why", "accuracy_down", "f1_p")
    ]
    out = out.reindex(columns=COLUMNS + [c for c in keep if c not in COLUMNS])
    out.attrs["n_seeds"] = int(items.seed.nunique())
    out.attrs["correction"] = correction
    return out
