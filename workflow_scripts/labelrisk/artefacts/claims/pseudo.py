"""The claims' quantities with their jackknife pseudo-values on the seeds x test-items table.

A pseudo-value of a statistic T at (seed s, item i) is what (s, i) adds to T: for a mean of
per-(seed, item) values it is that value itself, and for any smooth T the two-way formula
    ps[s, i] = S N T - (S-1) N T(-s) - S (N-1) T(-i) + (S-1)(N-1) T(-s, -i)
(T(-s): without seed s; T(-i): without item i) gives values whose seeds x items ANOVA estimates
T's variance. For a mean over seeds of a per-seed score it reduces to the item jackknife of
each seed's score; for agreement between seeds (a mean over items of a U-statistic over pairs
of seeds) to the seed jackknife of each item's agreement. Every deletion has a closed form here,
so all pseudo-values of a run cost a few array operations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _onehot(labels: np.ndarray, k: int) -> np.ndarray:
    return (np.asarray(labels)[..., None] == np.arange(k)).astype(float)


def _f1(tp: np.ndarray, predicted: np.ndarray, actual: np.ndarray) -> np.ndarray:
    """Per-class F1 = 2 TP / (predicted + actual); 0 where a class is neither predicted nor
    present (scikit-learn's zero_division=0)."""
    denom = predicted + actual
    return np.where(denom > 0, 2 * tp / np.maximum(denom, 1), 0.0)


@dataclass(frozen=True)
class Scores:
    """Per-seed scores of seeds x items predictions, with their item pseudo-values."""

    accuracy: np.ndarray  # seeds
    class_f1: np.ndarray  # seeds x classes
    correct: np.ndarray  # seeds x items: the accuracy's pseudo-values
    class_f1_ps: np.ndarray  # seeds x items x classes
    largest_share: np.ndarray  # seeds: the largest predicted-class share on the test set

    @property
    def macro_f1(self) -> np.ndarray:
        return self.class_f1.mean(1)

    @property
    def macro_f1_ps(self) -> np.ndarray:
        return self.class_f1_ps.mean(2)


def scores(gold: np.ndarray, preds: np.ndarray, k: int) -> Scores:
    """Accuracy and per-class F1 of every seed (as scikit-learn computes them) and their
    leave-one-item-out pseudo-values N F1 - (N-1) F1(-i)."""
    preds = np.atleast_2d(preds)
    n = preds.shape[1]
    g, p = _onehot(gold, k), _onehot(preds, k)  # items x k, seeds x items x k
    hit = p * g[None]
    tp, predicted, actual = hit.sum(1), p.sum(1), g.sum(0)
    f1 = _f1(tp, predicted, actual)
    without = _f1(tp[:, None] - hit, predicted[:, None] - p, actual[None, None] - g[None])
    return Scores(
        accuracy=(preds == gold).mean(1),
        class_f1=f1,
        correct=(preds == gold).astype(float),
        class_f1_ps=n * f1[:, None] - (n - 1) * without,
        largest_share=predicted.max(1) / n,
    )


def two_way(t, t_seed, t_item, t_both) -> np.ndarray:
    """Pseudo-values from T, T without each seed (seeds), without each item (items) and without
    both (seeds x items)."""
    s, n = np.shape(t_both)
    return (
        s * n * t
        - (s - 1) * n * np.asarray(t_seed)[:, None]
        - s * (n - 1) * np.asarray(t_item)[None, :]
        + (s - 1) * (n - 1) * np.asarray(t_both)
    )


def _expected_disagreement(counts: np.ndarray, n: int) -> np.ndarray:
    """Krippendorff's D_e (nominal) from class counts over the last axis and n values."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return 1 - (counts * (counts - 1)).sum(-1) / (n * (n - 1))


@dataclass(frozen=True)
class Stability:
    """How much the seeds' students agree, with two-way pseudo-values (needs 3 seeds)."""

    agreement: float  # mean over test items and pairs of seeds of agreeing on the item
    alpha: float  # Krippendorff's alpha (nominal), seeds as raters
    agreement_ps: np.ndarray
    alpha_ps: np.ndarray


def stability(preds: np.ndarray, k: int) -> Stability:
    """Pairwise agreement (the p_uc of two seeds, whatever the seed count: a U-statistic) and
    Krippendorff's alpha = 1 - (1 - agreement) / D_e, with their pseudo-values.

    For complete nominal data alpha's observed disagreement is 1 - pairwise agreement and its
    expected disagreement D_e = 1 - sum_c n_c (n_c - 1) / (n (n - 1)) over the pooled class
    counts n_c of all n = seeds x items predictions."""
    preds = np.asarray(preds)
    s, n = preds.shape
    o = _onehot(preds, k)  # seeds x items x k
    col = o.sum(0)  # items x k: how many seeds predict each class
    q = (col * (col - 1)).sum(1)  # items: ordered pairs of seeds agreeing
    # Without seed s, item i loses the pairs of s with the seeds sharing its prediction.
    same = np.take_along_axis(col, preds.T, 1).T  # seeds x items
    q_seed = q[None] - 2 * (same - 1)

    def agree(pairs, items, seeds):
        with np.errstate(invalid="ignore", divide="ignore"):
            return pairs / (items * seeds * (seeds - 1))

    a = agree(q.sum(), n, s)
    a_seed = agree(q_seed.sum(1), n, s - 1)
    a_item = agree(q.sum() - q, n - 1, s)
    a_both = agree(q_seed.sum(1)[:, None] - q_seed, n - 1, s - 1)
    total, row = col.sum(0), o.sum(1)  # k; seeds x k
    de = _expected_disagreement(total, n * s)
    de_seed = _expected_disagreement(total[None] - row, n * (s - 1))
    de_item = _expected_disagreement(total[None] - col, (n - 1) * s)
    de_both = _expected_disagreement(total - row[:, None] - col[None] + o, (n - 1) * (s - 1))

    def alpha(agreement, de):
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(de > 0, 1 - (1 - agreement) / np.where(de > 0, de, 1), np.nan)

    al = alpha(a, de)
    return Stability(
        agreement=float(a),
        alpha=float(al),
        agreement_ps=two_way(a, a_seed, a_item, a_both),
        alpha_ps=two_way(
            al, alpha(a_seed, de_seed), alpha(a_item, de_item), alpha(a_both, de_both)
        ),
    )


def _chance_agreement(q: np.ndarray, n_g: np.ndarray) -> np.ndarray:
    """Agreement of two independent students with confusion counts `q` (..., gold x predicted)
    on items whose gold classes number `n_g` (..., K): per gold class, the chance that two
    draws without replacement from its row agree (unbiased for the sum of squared rates)."""
    r = q.sum(-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        same = np.where(n_g > 0, (q * (q - 1)).sum(-1) / (r * (r - 1)), 0.0)
    return (n_g * same).sum(-1) / n_g.sum(-1)


def chance_agreement(gold: np.ndarray, preds: np.ndarray, k: int) -> tuple[float, np.ndarray]:
    """The agreement between seeds that the students' confusion (pooled over seeds) alone
    implies, were their errors independent, with its two-way pseudo-values (3 seeds or more).
    Less accurate students agree less by this arithmetic alone."""
    preds = np.asarray(preds)
    s, n = preds.shape
    g, o = _onehot(gold, k), _onehot(preds, k)  # items x k; seeds x items x k
    per_seed = np.einsum("ig,sic->sgc", g, o)
    q = per_seed.sum(0)
    col = o.sum(0)  # items x k
    item = g[:, :, None] * col[:, None, :]  # items x k x k: each item's counts
    n_g = g.sum(0)
    t = _chance_agreement(q, n_g)
    t_seed = _chance_agreement(q[None] - per_seed, n_g[None])
    t_item = _chance_agreement(q[None] - item, n_g[None] - g)
    own = g[None, :, :, None] * o[:, :, None, :]  # seeds x items x k x k
    both = q[None, None] - per_seed[:, None] - item[None] + own
    t_both = _chance_agreement(both, (n_g[None] - g)[None])
    return float(t), two_way(t, t_seed, t_item, t_both)


def _symmetric_f1(conf: np.ndarray, accuracy: np.ndarray) -> np.ndarray:
    """Per-class F1 of students with confusion counts `conf` (..., gold x predicted) after
    symmetric noise (a wrong class drawn uniformly) that brings their accuracy to `accuracy`."""
    k = conf.shape[-1]
    n = conf.sum((-2, -1))
    acc = np.trace(conf, axis1=-2, axis2=-1) / n
    slope = acc - (1 - acc) / (k - 1)  # accuracy lost per unit of noise
    with np.errstate(invalid="ignore", divide="ignore"):
        eps = np.where(slope > 0, (acc - accuracy) / slope, 0.0)[..., None, None]
    rows = conf.sum(-1, keepdims=True)
    noisy = (1 - eps) * conf + eps * (rows - conf) / (k - 1)
    tp = np.diagonal(noisy, axis1=-2, axis2=-1)
    return _f1(tp, noisy.sum(-2), rows[..., 0])


def symmetric_f1(gold: np.ndarray, base: np.ndarray, other: np.ndarray, k: int):
    """Per seed, the per-class F1 that `base`'s students (seeds x items) would keep under
    symmetric noise bringing their accuracy to that of `other`'s students of the same seed,
    with leave-one-item-out pseudo-values (seeds x items x classes)."""
    base, other = np.atleast_2d(base), np.atleast_2d(other)
    n = base.shape[1]
    g, o = _onehot(gold, k), _onehot(base, k)
    conf = np.einsum("ig,sic->sgc", g, o)
    right = (other == gold).astype(float)
    f1 = _symmetric_f1(conf, right.mean(1))
    conf_i = conf[:, None] - g[None, :, :, None] * o[:, :, None, :]
    acc_i = (right.sum(1, keepdims=True) - right) / (n - 1)
    without = _symmetric_f1(conf_i, acc_i)
    return f1, n * f1[:, None] - (n - 1) * without
