import numpy as np
import pandas as pd
import pytest

from labelrisk.grid import Source, gold_budget
from labelrisk.labels.filters import (
    audit_size,
    cleanlab_issues,
    learned_filter,
    majority_vote,
    teacher_features,
)
from labelrisk.labels.training_sets import label

pytestmark = pytest.mark.unit


def test_teacher_features():
    f = teacher_features(np.array([[0.5, 0.5], [0.9, 0.1]]))
    np.testing.assert_allclose(f[:, 0], [np.log(2), -(0.9 * np.log(0.9) + 0.1 * np.log(0.1))])
    np.testing.assert_allclose(f[:, 1], [0.0, 0.8])
    assert f[:, 2:].tolist() == [[1, 0], [1, 0]]


def test_audit_takes_at_most_half_the_entropy_budget():
    assert gold_budget(128, 25) == 32 and audit_size(128, 25, 16) == 16
    assert audit_size(128, 25, 10) == 10
    assert audit_size(128, 5, 16) == 4  # budget 7
    assert audit_size(32, 5, 16) == 1  # budget 2


def test_learned_filter_spends_the_entropy_budget_on_predicted_errors():
    # The teacher is wrong on every third item, which the first embedding dimension shows.
    rng = np.random.default_rng(0)
    n = 40
    wrong = np.arange(n) % 3 == 0
    emb = rng.normal(scale=0.3, size=(n, 3))
    emb[:, 0] += np.where(wrong, 2.0, -2.0)
    gold = np.zeros(n, dtype=int)
    teacher = np.where(wrong, 1, 0)
    probs = np.full((n, 2), 0.5)  # uninformative teacher confidence
    mask, how = learned_filter(emb, probs, teacher, gold, alpha=25, audit=16)
    assert how == "learned"
    assert mask.sum() == gold_budget(n, 25) == 10
    assert mask[:5].all()  # the audit: ceil(10 / 2) = 5 items
    # the 5 remaining gold labels all land on items where the teacher is wrong
    assert wrong[5:][mask[5:]].all()


def test_learned_filter_falls_back_to_entropy_when_the_audit_is_all_right():
    emb = np.zeros((8, 2))
    probs = np.array([[0.9, 0.1]] * 2 + [[0.6, 0.4], [0.99, 0.01], [0.5, 0.5]] + [[0.9, 0.1]] * 3)
    teacher = probs.argmax(1)
    mask, how = learned_filter(emb, probs, teacher, teacher.copy(), alpha=50, audit=2)
    assert how == "entropy"
    # budget 4: audit items 0-1, then the highest entropies among the rest: items 4 and 2
    assert np.flatnonzero(mask).tolist() == [0, 1, 2, 4]


def test_cleanlab_flags_the_flipped_labels():
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.normal(-3, 1, (40, 2)), rng.normal(3, 1, (40, 2))])
    y = np.repeat([0, 1], 40)
    noisy = y.copy()
    flipped = [3, 17, 45, 60]
    noisy[flipped] = 1 - noisy[flipped]
    issues = cleanlab_issues(x, noisy, n_classes=2, folds=5, seed=0)
    assert set(flipped) <= set(np.flatnonzero(issues))
    assert issues.sum() <= 6


def test_cleanlab_flags_nothing_when_the_teacher_answers_one_class():
    x = np.random.default_rng(0).normal(size=(10, 2))
    labels = np.array([1] * 9 + [0])
    assert not cleanlab_issues(x, labels, n_classes=3, folds=5, seed=0).any()


def test_majority_vote_breaks_ties_by_mean_probability():
    preds = np.array([[0, 1, 2], [0, 2, 1], [1, 2, 0]])
    probs = np.zeros((3, 3, 3))
    probs[:, 2] = [[0.1, 0.2, 0.7], [0.1, 0.5, 0.4], [0.5, 0.2, 0.3]]  # item 2: classes tie 1-1-1
    for m in range(3):
        for i in range(2):
            probs[m, i, preds[m, i]] = 1.0
    assert majority_vote(preds, probs).tolist() == [0, 2, 2]


def test_new_sources_label_sets():
    items = pd.DataFrame({"id": list("abcd"), "text": list("ABCD"), "label": [0, 1, 1, 0]})
    m0 = pd.DataFrame(
        {"id": list("abcd"), "pred": [0, 0, 1, 1], "entropy": 0.1, "p_0": [0.8, 0.6, 0.3, 0.4]}
    )
    m0["p_1"] = 1 - m0.p_0
    m1 = m0.assign(pred=[0, 1, 1, 0], p_0=[0.9, 0.2, 0.1, 0.7])
    m2 = m0.assign(pred=[0, 1, 0, 0], p_0=[0.9, 0.2, 0.6, 0.7])
    members = [m.assign(p_1=1 - m.p_0).set_index("id") for m in (m0, m1, m2)]
    vote = label(items, Source.parse("t/vote"), members)
    assert vote.label.tolist() == [0, 1, 1, 0] and not vote.is_gold.any()
    assert vote.teacher_label.tolist() == [0, 0, 1, 1]
    soft = label(items, Source.parse("t/soft"), members)
    assert soft.label.tolist() == [0, 0, 1, 1] and soft.p_0.tolist() == [0.8, 0.6, 0.3, 0.4]
    relabel = label(items, Source.parse("t/cleanlab_relabel"), members, flagged={"b", "d"})
    assert relabel.label.tolist() == [0, 1, 1, 0] and relabel.is_gold.sum() == 2
    drop = label(items, Source.parse("t/cleanlab_drop"), members, flagged={"b"})
    assert drop.keep.tolist() == [True, False, True, True] and not drop.is_gold.any()
    emb = pd.DataFrame({"e_0": [0.0, 1.0, 2.0, 3.0]}, index=list("abcd"))
    learned = label(items, Source.parse("t/learned50"), members, embeddings=emb, audit=1)
    assert learned.is_gold.sum() == 2 and learned.is_gold.iloc[0]  # budget 2, audit 1
