"""Label filters beyond the paper: a learned error filter, confident learning, majority vote.

Gold accounting of the learned filter (`learned<alpha>`), per training set of n items:
the budget is entropy's, b = ceil(alpha% of n). The audit is the first a = min(audit, ceil(b/2))
items of the training set (a prefix of the seed's permutation, so larger sizes re-use the
smaller sizes' audit); they keep their gold label and count toward b. A logistic model fitted on
the audit predicts where the teacher is wrong; the remaining b - a gold labels go to the
non-audited items it rates most likely wrong. When the audit holds only right or only wrong
teacher labels there is nothing to fit, and the teacher's entropy ranks the items instead.
"""

from __future__ import annotations

import math

import numpy as np
from cleanlab.filter import find_label_issues
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from labelrisk.labels.budget import gold_budget


def teacher_features(probs: np.ndarray) -> np.ndarray:
    """Entropy, margin (top-1 minus top-2 probability) and the one-hot predicted class."""
    probs = np.asarray(probs, dtype=float)
    ent = -(probs * np.log(np.clip(probs, 1e-12, None))).sum(1)
    top = np.sort(probs, axis=1)[:, ::-1]
    margin = top[:, 0] - top[:, 1]
    onehot = np.eye(probs.shape[1])[probs.argmax(1)]
    return np.column_stack([ent, margin, onehot])


def audit_size(n: int, alpha: float, audit: int) -> int:
    return min(audit, math.ceil(gold_budget(n, alpha) / 2))


def learned_filter(
    embeddings: np.ndarray,
    probs: np.ndarray,
    teacher: np.ndarray,
    gold: np.ndarray,
    alpha: float,
    audit: int,
) -> tuple[np.ndarray, str]:
    """Mask of items whose label becomes gold, and how the non-audited items were ranked.

    Rows are the training set in sampling order. Only the audit's gold labels are read.
    """
    n = len(teacher)
    budget = gold_budget(n, alpha)
    a = audit_size(n, alpha, audit)
    mask = np.zeros(n, dtype=bool)
    mask[:a] = True
    x = np.column_stack([embeddings, teacher_features(probs)])
    wrong = np.asarray(teacher[:a]) != np.asarray(gold[:a])
    if 0 < wrong.sum() < a:
        model = make_pipeline(
            StandardScaler(), LogisticRegression(class_weight="balanced", max_iter=1000)
        )
        model.fit(x[:a], wrong)
        score, how = model.predict_proba(x[a:])[:, 1], "learned"
    else:
        score, how = teacher_features(probs)[a:, 0], "entropy"
    order = np.argsort(-score, kind="stable")
    mask[a + order[: budget - a]] = True
    return mask, how


def cleanlab_issues(
    embeddings: np.ndarray, teacher: np.ndarray, n_classes: int, folds: int, seed: int
) -> np.ndarray:
    """Mask of items whose teacher label cleanlab flags, from out-of-sample probabilities.

    Probabilities come from a logistic regression on the embeddings, cross-validated against
    the teacher's labels. Classes the teacher gives fewer than two items cannot be
    cross-validated and get no column; with fewer than two such classes nothing is flagged.
    """
    teacher = np.asarray(teacher)
    counts = np.bincount(teacher, minlength=n_classes)
    kept = np.flatnonzero(counts >= 2)
    mask = np.zeros(len(teacher), dtype=bool)
    if len(kept) < 2:
        return mask
    rows = np.isin(teacher, kept)
    labels = np.searchsorted(kept, teacher[rows])
    cv = StratifiedKFold(
        n_splits=min(folds, int(counts[kept].min())), shuffle=True, random_state=seed
    )
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    probs = cross_val_predict(model, embeddings[rows], labels, cv=cv, method="predict_proba")
    mask[rows] = find_label_issues(labels, probs)
    return mask


def majority_vote(member_preds: np.ndarray, member_probs: np.ndarray) -> np.ndarray:
    """Most frequent label over members (rows); ties go to the highest mean probability.

    `member_probs` is members x items x classes.
    """
    member_preds = np.asarray(member_preds)
    n_classes = member_probs.shape[2]
    votes = np.stack([(member_preds == k).sum(0) for k in range(n_classes)], axis=1)
    # Mean probabilities lie in [0, 1), so they only order classes with equal vote counts.
    return (votes + 0.5 * np.asarray(member_probs).mean(0)).argmax(1)
