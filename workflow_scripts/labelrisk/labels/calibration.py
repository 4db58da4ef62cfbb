"""Gold-free correction of a teacher's label bias, from the class distributions it stored.

A small instruct model often prefers one class token whatever the text. Two corrections that
read no gold label, each a per-class weight w applied to every item's class distribution p
(p'_k = (p_k / w_k) / sum_j (p_j / w_j)):

- `prior`: w is the teacher's mean distribution over the items it labelled (pool and
  validation set). With `em`, the weights are iterated, w <- w * mean_i p'_i, to the fixed
  point at which the corrected distributions average to the uniform prior: the condition of
  the EM prior adjustment of Saerens, Latinne & Decaestecker (2002), "adjusted posteriors
  average to the prior", solved for the teacher's bias with a uniform target prior (the first
  iteration is the one-step `prior` correction).
- `content_free`: contextual calibration (Zhao et al. 2021, "Calibrate Before Use"): w is the
  mean distribution the teacher gives content-free inputs ("N/A", "", "[MASK]") scored through
  the same prompt and member; the content_free job stores them in its `.json`.

Only numpy and pandas here: the label-set jobs run in the analysis environment.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from labelrisk.teachers.base import entropy, probability_columns

METHODS = ("prior", "content_free")


class CalibrationError(ValueError):
    """Calibration cannot be applied (a class with zero weight, no content-free scores)."""


def _where(context: str) -> str:
    return f" ({context})" if context else ""


def check_weights(weights: np.ndarray, labels: Sequence[str] | None, what: str, context: str):
    """Raise naming the class when a weight is zero, negative or not finite (nothing divides
    by zero silently)."""
    weights = np.asarray(weights, dtype=float)
    for k, w in enumerate(weights):
        if not np.isfinite(w) or w <= 0:
            name = labels[k] if labels is not None and k < len(labels) else str(k)
            raise CalibrationError(
                f"{what} of class {k} ({name!r}) is {w!r}{_where(context)}: the teacher never "
                f"gives this class any probability, so the calibration cannot divide by it"
            )
    return weights


def apply_weights(probs: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Each row divided by the per-class weights, renormalised to sum to one."""
    q = np.asarray(probs, dtype=float) / np.asarray(weights, dtype=float)
    return q / q.sum(axis=1, keepdims=True)


def prior_weights(
    probs: np.ndarray,
    em: bool = False,
    labels: Sequence[str] | None = None,
    context: str = "",
    tol: float = 1e-10,
    max_iter: int = 100_000,
) -> np.ndarray:
    """The teacher's mean distribution (one step) or the EM fixed point of the bias weights.

    The fixed point satisfies mean_i apply_weights(p, w)_i = uniform; weights are scaled to sum
    to one (only their ratios matter).
    """
    probs = np.asarray(probs, dtype=float)
    w = check_weights(probs.mean(axis=0), labels, "mean probability", context)
    if not em:
        return w
    k = probs.shape[1]
    for _ in range(max_iter):
        marginal = apply_weights(probs, w).mean(axis=0)
        if np.abs(marginal * k - 1).max() < tol:
            break
        w = w * marginal
        w = check_weights(w / w.sum(), labels, "EM prior weight", context)
    else:
        raise CalibrationError(
            f"EM prior adjustment did not converge in {max_iter} iterations{_where(context)}"
        )
    return w / w.sum()


def content_free_weights(
    meta: dict, n_classes: int, labels: Sequence[str] | None = None, context: str = ""
) -> np.ndarray:
    """Mean class distribution of the content-free inputs a member's `.json` records."""
    cf = meta.get("content_free")
    if not cf or not cf.get("probs"):
        raise CalibrationError(
            f"no content-free scores in the content_free job's .json{_where(context)}: re-run "
            f"it with `content_free` in mitigations.calibrated"
        )
    probs = np.asarray(cf["probs"], dtype=float)
    if probs.ndim != 2 or probs.shape[1] != n_classes:
        raise CalibrationError(
            f"content-free scores have shape {probs.shape}, expected (inputs, {n_classes})"
            f"{_where(context)}"
        )
    # Inputs the teacher gave no label (uniform rows) are left out of the mean.
    read = ~np.asarray(cf.get("no_label") or [False] * len(probs), dtype=bool)
    if not read.any():
        raise CalibrationError(f"the teacher gave no content-free input a label{_where(context)}")
    mean = probs[read].mean(axis=0)
    return check_weights(mean, labels, "content-free mean probability", context)


def calibration_weights(
    ann: pd.DataFrame,
    method: str,
    em: bool = False,
    meta: dict | None = None,
    labels: Sequence[str] | None = None,
    context: str = "",
) -> np.ndarray:
    """Weights of `method` for one member's annotations (every item it labelled)."""
    probs = ann[probability_columns(ann)].to_numpy(dtype=float)
    if method == "prior":
        return prior_weights(probs, em, labels, context)
    if method == "content_free":
        return content_free_weights(meta or {}, probs.shape[1], labels, context)
    raise ValueError(f"unknown calibration {method!r}; one of {METHODS}")


def calibrate(
    ann: pd.DataFrame,
    method: str,
    em: bool = False,
    meta: dict | None = None,
    labels: Sequence[str] | None = None,
    context: str = "",
) -> pd.DataFrame:
    """The annotations with p_k, pred and entropy replaced by their calibrated values.

    `ann` must hold every item the teacher labelled (pool and validation set): the prior
    weights are means over them. The uncalibrated prediction is kept as `raw_pred`.
    """
    cols = probability_columns(ann)
    w = calibration_weights(ann, method, em, meta, labels, context)
    cal = apply_weights(ann[cols].to_numpy(dtype=float), w)
    out = ann.copy()
    out["raw_pred"] = ann["pred"].to_numpy()
    out[cols] = cal
    out["pred"] = cal.argmax(axis=1)
    out["entropy"] = entropy(cal)
    return out


def compare(
    gold: np.ndarray,
    ann: pd.DataFrame,
    meta: dict | None,
    labels: Sequence[str],
    split: str = "pool",
) -> pd.DataFrame:
    """Accuracy and macro-F1 of the teacher on `split` as labelled and after each calibration
    (prior, prior EM, content-free where the `.json` has its scores). `gold` is indexed by id.

    A reference path, not run by the workflow: the comparison docs/calibration.md reproduces by
    hand; the workflow's are the calibrated rows of `teacher_quality.csv`
    (`evaluation.evaluate.calibrated_teacher_rows`)."""
    from sklearn.metrics import accuracy_score, f1_score

    rows = []
    variants = [("as labelled", None, False), ("prior", "prior", False)]
    variants.append(("prior EM", "prior", True))
    if meta and meta.get("content_free"):
        variants.append(("content-free", "content_free", False))
    k = list(range(len(labels)))
    for name, method, em in variants:
        cal = ann if method is None else calibrate(ann, method, em, meta, labels)
        sub = cal[cal.split == split] if "split" in cal else cal
        y = gold.loc[sub.id].to_numpy()
        rows.append(
            {
                "calibration": name,
                "accuracy": accuracy_score(y, sub.pred),
                "macro_f1": f1_score(y, sub.pred, labels=k, average="macro", zero_division=0),
                "predicted_shares": np.bincount(sub.pred, minlength=len(k)) / len(sub),
            }
        )
    return pd.DataFrame(rows)


def calibrated_members(
    members: Sequence[pd.DataFrame],
    method: str,
    em: bool,
    meta: dict | None,
    labels: Sequence[str],
    dataset: str,
    teacher: str,
) -> list[pd.DataFrame]:
    """Member 0's annotations (indexed by id, every item the teacher labelled), calibrated;
    errors name the dataset and teacher."""
    context = f"dataset {dataset!r}, teacher {teacher!r}"
    return [calibrate(members[0], method, em, meta, labels, context)]
