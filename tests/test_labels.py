import numpy as np
import pandas as pd
import pytest

from labelrisk.grid import Source, gold_budget
from labelrisk.labels.mitigations.ensemble import ensemble_filter
from labelrisk.labels.mitigations.entropy import entropy_filter
from labelrisk.labels.training_sets import label, sample

pytestmark = pytest.mark.unit


def test_sample_is_nested_and_deterministic():
    pool = [f"i{k}" for k in range(100)]
    small, large = sample(pool, 3, 25), sample(pool, 3, 50)
    assert large[:25] == small
    assert sample(pool, 3, 50) == large
    assert sample(pool, 4, 50) != large
    assert len(set(large)) == 50
    with pytest.raises(ValueError):
        sample(pool, 3, 101)


def test_gold_budget_rounds_up():
    assert gold_budget(200, 5) == 10
    assert gold_budget(50, 5) == 3  # 2.5 -> 3
    assert gold_budget(10, 25) == 3


def test_entropy_filter_takes_the_highest_entropies():
    ent = np.array([0.1, 0.9, 0.5, 0.9, 0.2, 0.0, 0.3, 0.8])
    mask = entropy_filter(ent, 25)  # 2 of 8
    assert mask.tolist() == [False, True, False, True, False, False, False, False]
    mask = entropy_filter(ent, 50)  # 4 of 8: ties kept in position order
    assert np.flatnonzero(mask).tolist() == [1, 2, 3, 7]


def test_ensemble_filter_flags_any_disagreement():
    members = np.array([[0, 1, 2, 1], [0, 1, 1, 1], [0, 2, 2, 1]])
    assert ensemble_filter(members).tolist() == [False, True, True, False]


@pytest.fixture
def annotated():
    items = pd.DataFrame({"id": list("abcd"), "text": list("ABCD"), "label": [0, 1, 1, 0]})
    m0 = pd.DataFrame({"id": list("abcd"), "pred": [0, 0, 1, 1], "entropy": [0.1, 0.6, 0.2, 0.5]})
    m1 = pd.DataFrame({"id": list("abcd"), "pred": [0, 1, 1, 1], "entropy": [0.1, 0.1, 0.1, 0.1]})
    return items, [m0.set_index("id"), m1.set_index("id")]


def test_label_sources(annotated):
    items, members = annotated
    gold = label(items, Source.parse("gold"), None)
    assert gold.label.tolist() == [0, 1, 1, 0] and gold.is_gold.all()
    llm = label(items, Source.parse("t/llm"), members)
    assert llm.label.tolist() == [0, 0, 1, 1] and not llm.is_gold.any()
    ent = label(items, Source.parse("t/entropy25"), members)  # 1 of 4: item b
    assert ent.label.tolist() == [0, 1, 1, 1] and ent.is_gold.tolist() == [
        False,
        True,
        False,
        False,
    ]
    ens = label(items, Source.parse("t/ensemble"), members)  # members disagree on b
    assert ens.label.tolist() == [0, 1, 1, 1] and ens.is_gold.sum() == 1
    assert (ens.gold == items.label).all()


def test_source_ids_round_trip():
    for sid in ["gold", "qwen2.5-coder-0.5b/llm", "a/entropy5", "a/entropy2.5", "a/ensemble"]:
        assert Source.parse(sid).id == sid
    assert Source.parse("a/entropy2.5").params == {"alpha": 2.5}


def test_label_sets_of_a_source_are_nested_and_share_the_validation_set():
    from labelrisk.labels.label_sets import build

    ids = [f"i{k}" for k in range(12)]
    pool = pd.DataFrame({"id": ids[:8], "text": ids[:8], "label": [0, 1] * 4})
    val = pd.DataFrame({"id": ids[8:], "text": ids[8:], "label": [1, 0, 1, 0]})
    teacher = pd.DataFrame({"id": ids, "pred": [1] * 12, "entropy": np.linspace(0, 1, 12)})
    sets = build("t/llm", pool, val, [teacher.set_index("id")], [4, 8], [1, 2])
    assert sorted(sets) == [(4, 1), (4, 2), (8, 1), (8, 2)]
    small, large = sets[(4, 1)], sets[(8, 1)]
    train = large[large.split == "train"]
    assert small[small.split == "train"].id.tolist() == train.id.tolist()[:4]  # nested
    assert (train.label == 1).all() and not train.is_gold.any()  # the teacher's labels
    assert small[small.split == "val"].label.tolist() == [1, 1, 1, 1]  # same source
    gold_val = build(
        "t/llm",
        pool,
        val,
        [teacher.set_index("id")],
        [4],
        [1],
        validation_labels="gold",
    )[(4, 1)]
    assert gold_val[gold_val.split == "val"].label.tolist() == [1, 0, 1, 0]


@pytest.fixture
def no_label_members():
    """Member 0 gave no label for c and f (a server teacher's uniform placeholder, pred 0 by
    argmax), member 1 none for b."""
    ids = list("abcdef")
    items = pd.DataFrame({"id": ids, "text": list("ABCDEF"), "label": [0, 1, 1, 0, 1, 1]})
    m0 = pd.DataFrame(
        {
            "id": ids,
            "pred": [0, 1, 0, 0, 1, 0],
            "entropy": [0.1, 0.2, 0.693, 0.1, 0.3, 0.693],
            "p_0": [0.9, 0.2, 0.5, 0.8, 0.1, 0.5],
            "p_1": [0.1, 0.8, 0.5, 0.2, 0.9, 0.5],
            "no_label": [False, False, True, False, False, True],
        }
    )
    m1 = m0.assign(pred=[0, 0, 1, 0, 1, 1], no_label=[False, True, False, False, False, False])
    m2 = m0.assign(pred=[0, 1, 1, 0, 1, 1]).drop(columns="no_label")  # column missing: none
    return items, [m.set_index("id") for m in (m0, m1, m2)]


def test_items_without_a_teacher_label_never_train_as_a_class(no_label_members, caplog):
    from labelrisk.labels.label_sets import build

    items, members = no_label_members
    llm = label(items, Source.parse("t/llm"), members[:1])
    assert llm.no_label.tolist() == [False, False, True, False, False, True]
    assert llm.keep.tolist() == [True, True, False, True, True, False]
    soft = label(items, Source.parse("t/soft"), members[:1])
    assert soft.keep.tolist() == llm.keep.tolist()
    # Any member the source reads: the vote also leaves out b (member 1 gave no label).
    vote = label(items, Source.parse("t/vote"), members)
    assert vote.no_label.tolist() == [False, True, True, False, False, True]
    # Entropy filtering replaces the two uniform rows (highest entropy) by gold: kept.
    ent = label(items, Source.parse("t/entropy25"), members[:1])
    assert ent.is_gold.tolist() == [False, False, True, False, False, True]
    assert not ent.no_label.any() and ent.keep.all()
    gold = label(items, Source.parse("gold"), None)
    assert "no_label" not in gold and gold.keep.all()
    sets = build("t/llm", items, items.iloc[:2], members[:1], [6], [1])
    train = sets[(6, 1)].query("split != 'val'")
    assert sorted(train.loc[train.split == "dropped", "id"]) == ["c", "f"]
    assert "n6 seed1: 2 of 6 items left out: the teacher gave no label" in caplog.text
