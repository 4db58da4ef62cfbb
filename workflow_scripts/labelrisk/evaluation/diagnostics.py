"""Teacher diagnostics against gold: calibration, per-class recall, cross-entropy of gold labels.

The mean cross-entropy of the gold labels under the teacher's distribution, -mean log P_S(y|x),
estimates KL(P || P_S) + H(P): the approximation error of the paper's Section 3.1 up to the
entropy of the true labels, which does not depend on the teacher.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import recall_score


def reliability(gold: np.ndarray, probs: np.ndarray, bins: int) -> pd.DataFrame:
    """Equal-width bins of top-class confidence: items, mean confidence and accuracy per bin.

    Confidence 1.0 falls into the last bin; empty bins have NaN confidence and accuracy.
    """
    probs = np.asarray(probs, dtype=float)
    conf = probs.max(1)
    correct = probs.argmax(1) == np.asarray(gold)
    which = np.minimum((conf * bins).astype(int), bins - 1)
    rows = []
    for b in range(bins):
        sel = which == b
        rows.append(
            {
                "lo": b / bins,
                "hi": (b + 1) / bins,
                "count": int(sel.sum()),
                "confidence": conf[sel].mean() if sel.any() else np.nan,
                "accuracy": correct[sel].mean() if sel.any() else np.nan,
            }
        )
    return pd.DataFrame(rows)


def expected_calibration_error(gold: np.ndarray, probs: np.ndarray, bins: int) -> float:
    """Sum over bins of (share of items) x |accuracy - mean confidence|."""
    rel = reliability(gold, probs, bins)
    full = rel[rel["count"] > 0]
    return float((full["count"] * (full.accuracy - full.confidence).abs()).sum() / len(probs))


def gold_cross_entropy(gold: np.ndarray, probs: np.ndarray, floor: float = 1e-12) -> float:
    """Mean -log P_S(gold | x) in nats; probabilities are floored so a confident miss is finite."""
    p = np.asarray(probs, dtype=float)[np.arange(len(gold)), np.asarray(gold)]
    return float(-np.log(np.clip(p, floor, None)).mean())


def teacher_diagnostics(gold: np.ndarray, probs: np.ndarray, n_classes: int, bins: int) -> dict:
    """One row's worth: ECE, gold cross-entropy, per-class recall and share, reliability bins."""
    gold = np.asarray(gold)
    pred = np.asarray(probs).argmax(1)
    labels = list(range(n_classes))
    recall = recall_score(gold, pred, labels=labels, average=None, zero_division=0)
    share = np.bincount(gold, minlength=n_classes) / len(gold)
    rel = reliability(gold, probs, bins)
    out = {
        "ece": expected_calibration_error(gold, probs, bins),
        "gold_cross_entropy": gold_cross_entropy(gold, probs),
        "reliability": rel[["count", "confidence", "accuracy"]].to_json(orient="values"),
    }
    out.update({f"recall_class_{k}": float(r) for k, r in enumerate(recall)})
    out.update({f"share_class_{k}": float(s) for k, s in enumerate(share)})
    return out
