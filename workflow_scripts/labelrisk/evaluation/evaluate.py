"""Per-source evaluation tables (one row per size) and teacher quality against gold."""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import pandas as pd

from labelrisk.evaluation.diagnostics import teacher_diagnostics
from labelrisk.evaluation.metrics import (
    DEFAULT_COLLAPSE,
    CollapseRule,
    over_seeds,
    runs_table,
    teacher_quality,
)
from labelrisk.labels.calibration import calibrate


def _table(table: pd.DataFrame | str) -> pd.DataFrame:
    """A run's table, given as a frame or as the path of its parquet file."""
    return table if isinstance(table, pd.DataFrame) else pd.read_parquet(table)


def evaluate_source(
    test: pd.DataFrame,
    runs: Sequence[tuple[int, int]],
    predictions: Sequence[pd.DataFrame | str],
    label_sets: Sequence[pd.DataFrame | str],
    n_classes: int,
    collapse: CollapseRule = DEFAULT_COLLAPSE,
) -> pd.DataFrame:
    """Metrics over seeds for each size, with the gold labels each training set used and the
    near-collapsed students (flagged by the `collapse` rule).

    `runs` holds the (size, seed) of each run's predictions and label set, in their order.
    """
    if not len(runs) == len(predictions) == len(label_sets):
        raise ValueError("one (size, seed) per prediction file and label set")
    preds: dict[int, dict[int, pd.DataFrame]] = {}
    sets: dict[int, list[pd.DataFrame]] = {}
    for (size, seed), p, s in zip(runs, predictions, label_sets, strict=True):
        preds.setdefault(int(size), {})[int(seed)] = _table(p)
        sets.setdefault(int(size), []).append(_table(s))
    gold = test.set_index("id")["label"]
    rows = []
    for size in sorted(preds):
        runs = runs_table(preds[size])
        y = gold.loc[preds[size][min(preds[size])]["id"]].to_numpy()
        seeds = sorted(preds[size])
        row = {"size": size, **over_seeds(y, runs, n_classes, seeds, collapse)}
        tr = [s[s.split == "train"] for s in sets[size]]
        va = sets[size][0][sets[size][0].split == "val"]
        row["gold_train"] = float(np.mean([t.is_gold.sum() for t in tr]))
        row["gold_val"] = int(va.is_gold.sum())
        # Share of training labels that differ from gold: the label noise the student sees.
        row["train_label_noise"] = float(np.mean([(t.label != t.gold).mean() for t in tr]))
        rows.append(row)
    return pd.DataFrame(rows)


def item_predictions(
    test: pd.DataFrame,
    runs: Sequence[tuple[int, int]],
    predictions: Sequence[pd.DataFrame | str],
) -> pd.DataFrame:
    """Every run's test predictions beside the gold label: size, seed, id, gold, pred."""
    gold = test.set_index("id")["label"]
    frames = []
    for (size, seed), p in zip(runs, predictions, strict=True):
        pred = _table(p)[["id", "pred"]]
        frames.append(pred.assign(size=size, seed=seed, gold=gold.loc[pred.id].to_numpy()))
    out = pd.concat(frames, ignore_index=True)
    return out[["size", "seed", "id", "gold", "pred"]].sort_values(["size", "seed"], kind="stable")


def teacher_table(
    pool: pd.DataFrame, members: Sequence[pd.DataFrame], n_classes: int, bins: int = 10
) -> pd.DataFrame:
    """Accuracy, macro-F1, per-class F1 and confusion matrix of each member on the pool,
    with its calibration, per-class recall and gold cross-entropy (evaluation.diagnostics)."""
    gold = pool.set_index("id")["label"]
    rows = []
    preds = []
    for m, ann in enumerate(members):
        ann = ann[ann.split == "pool"] if "split" in ann else ann
        y = gold.loc[ann.id].to_numpy()
        q = teacher_quality(y, ann.pred.to_numpy(), n_classes)
        preds.append(ann.set_index("id").loc[pool.id, "pred"].to_numpy())
        row = {
            "member": m,
            "accuracy": q["accuracy"],
            "macro_f1": q["macro_f1"],
            "mean_entropy": float(ann.entropy.mean()),
            "mean_class_mass": float(ann.class_mass.mean()),
            "confusion": json.dumps(q["confusion"]),
        }
        row.update({f"f1_class_{k}": v for k, v in enumerate(q["class_f1"])})
        probs = ann[[f"p_{k}" for k in range(n_classes)]].to_numpy()
        row.update(teacher_diagnostics(y, probs, n_classes, bins))
        rows.append(row)
    out = pd.DataFrame(rows)
    stacked = np.stack(preds)
    # Share of items on which the members disagree; undefined for a single member.
    disagree = (stacked != stacked[:1]).any(axis=0).mean() if len(preds) > 1 else np.nan
    out["ensemble_disagreement"] = float(disagree)
    out.insert(1, "calibration", "none")
    return out


def calibrated_teacher_rows(
    pool: pd.DataFrame,
    member0: pd.DataFrame,
    methods: Sequence[str],
    prior_em: bool,
    meta: dict | None,
    labels: Sequence[str],
    bins: int = 10,
    context: str = "",
) -> pd.DataFrame:
    """`teacher_table`'s row of member 0 after each calibration (`prior`, shown as `prior_em`
    when iterated, and `content_free`): the weights come from every item the member labelled
    (pool and validation set), the quality from the pool, as for the uncalibrated row."""
    frames = []
    for method in methods:
        cal = calibrate(member0, method, prior_em, meta, labels, context)
        row = teacher_table(pool, [cal], len(labels), bins)
        row["calibration"] = "prior_em" if method == "prior" and prior_em else method
        frames.append(row)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
