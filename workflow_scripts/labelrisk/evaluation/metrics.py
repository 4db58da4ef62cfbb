"""Metrics over seeds: accuracy, macro-F1 (mean, std), per-class F1, Krippendorff's alpha, p_uc,
and the near-collapsed students."""

from __future__ import annotations

from dataclasses import dataclass

import krippendorff
import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score


def alpha_nominal(preds: np.ndarray) -> float:
    """Krippendorff's alpha (nominal); rows = raters (seeds), columns = units (test items)."""
    preds = np.asarray(preds, dtype=float)
    if np.unique(preds).size < 2:
        # Every seed predicts one class for every item: no variation, alpha is undefined.
        return float("nan")
    return float(krippendorff.alpha(reliability_data=preds, level_of_measurement="nominal"))


def p_unchanged(preds: np.ndarray) -> float:
    """Share of units predicted identically by every rater."""
    preds = np.asarray(preds)
    return float((preds == preds[:1]).all(axis=0).mean())


def per_run(gold: np.ndarray, pred: np.ndarray, n_classes: int) -> dict:
    labels = list(range(n_classes))
    return {
        "accuracy": accuracy_score(gold, pred),
        "macro_f1": f1_score(gold, pred, average="macro", labels=labels, zero_division=0),
        "class_f1": f1_score(gold, pred, average=None, labels=labels, zero_division=0).tolist(),
    }


def largest_class_share(preds: np.ndarray, n_classes: int) -> np.ndarray:
    """Per seed (row), the largest share of the test items predicted as one class."""
    preds = np.atleast_2d(preds)
    counts = (preds[..., None] == np.arange(n_classes)).sum(1)
    return counts.max(1) / preds.shape[1]


@dataclass(frozen=True)
class CollapseRule:
    """When a student counts as near-collapsed, relative to the task: it predicts some class on
    a share of the test set that has gone at least `margin` of the way from that class's share
    of the test set to answering it always (share + margin x (1 - share)), or it finds at most
    `recall` of some class's test items (it all but never answers that class). With the default
    0.5: a class of 50% predicted on 75% or more of a balanced test set, a 33% class on 67%; on
    a 92/8 task an accurate student predicting the majority 92% of the time is not flagged, one
    predicting it on every item is (the minority's recall is 0)."""

    margin: float = 0.5
    recall: float = 0.05


DEFAULT_COLLAPSE = CollapseRule()


def collapse_flags(gold: np.ndarray, preds: np.ndarray, n_classes: int, rule: CollapseRule):
    """Per seed (row of `preds`): whether the student is near-collapsed under `rule`."""
    preds = np.atleast_2d(preds)
    gold = np.asarray(gold)
    k = np.arange(n_classes)
    predicted = (preds[..., None] == k).mean(1)  # seeds x classes
    actual = (gold[:, None] == k).mean(0)
    present = actual > 0
    hits = ((preds == gold)[..., None] & (gold[:, None] == k)[None]).sum(1)
    recall = hits[:, present] / (actual[present] * len(gold))
    over = (predicted >= actual + rule.margin * (1 - actual) - 1e-12).any(1)
    missed = (recall <= rule.recall + 1e-12).any(1) if present.sum() > 1 else False
    return over | missed


def collapsed(seeds, shares, flags) -> str:
    """`seed 3 (0.99); seed 5 (0.93)`: the flagged seeds, with the largest predicted-class
    share of each; empty when none is flagged."""
    return "; ".join(
        f"seed {s} ({x:.2f})" for s, x, f in zip(seeds, shares, flags, strict=True) if f
    )


def over_seeds(
    gold: np.ndarray,
    preds: np.ndarray,
    n_classes: int,
    seeds=None,
    collapse: CollapseRule = DEFAULT_COLLAPSE,
) -> dict:
    """Aggregate the runs of one (dataset, source, size): `preds` has one row per seed (named
    by `seeds`, 1, 2, ... when not given).

    Standard deviations are sample deviations (ddof=1) across seeds. `pred_share_max` is the
    largest predicted-class share of the worst student; `collapsed` names every student the
    `collapse` rule flags (a near-collapse: the run answers one class, whatever the input).
    """
    runs = [per_run(gold, p, n_classes) for p in preds]
    acc = np.array([r["accuracy"] for r in runs])
    f1 = np.array([r["macro_f1"] for r in runs])
    cls = np.array([r["class_f1"] for r in runs])
    out = {
        "seeds": len(runs),
        "acc_mean": acc.mean(),
        "acc_std": acc.std(ddof=1) if len(acc) > 1 else 0.0,
        "f1_mean": f1.mean(),
        "f1_std": f1.std(ddof=1) if len(f1) > 1 else 0.0,
        "alpha": alpha_nominal(preds),
        "p_uc": p_unchanged(preds),
    }
    shares = largest_class_share(preds, n_classes)
    seeds = range(1, len(preds) + 1) if seeds is None else seeds
    out["pred_share_max"] = float(shares.max())
    flags = collapse_flags(gold, preds, n_classes, collapse)
    out["collapsed"] = collapsed(seeds, shares, flags)
    out.update({f"f1_class_{k}": v for k, v in enumerate(cls.mean(axis=0))})
    return out


def teacher_quality(gold: np.ndarray, pred: np.ndarray, n_classes: int) -> dict:
    r = per_run(gold, pred, n_classes)
    cm = confusion_matrix(gold, pred, labels=list(range(n_classes)))
    return {
        "accuracy": r["accuracy"],
        "macro_f1": r["macro_f1"],
        "class_f1": r["class_f1"],
        "confusion": cm.tolist(),
    }


def runs_table(pred_frames: dict[int, pd.DataFrame]) -> np.ndarray:
    """Stack per-seed predictions (aligned on id) into a seeds x items array."""
    seeds = sorted(pred_frames)
    ids = pred_frames[seeds[0]]["id"].to_numpy()
    for s in seeds[1:]:
        if not np.array_equal(pred_frames[s]["id"].to_numpy(), ids):
            raise ValueError("seed predictions cover different test items")
    return np.stack([pred_frames[s]["pred"].to_numpy() for s in seeds])
