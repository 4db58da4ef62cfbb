import numpy as np
import pytest

from labelrisk.evaluation.metrics import (
    CollapseRule,
    alpha_nominal,
    collapse_flags,
    collapsed,
    largest_class_share,
    over_seeds,
    p_unchanged,
    runs_table,
    teacher_quality,
)

pytestmark = pytest.mark.unit


def test_alpha_two_raters_hand_computed():
    # Coincidences: o00=2, o01=o10=1, o11=4; n0=3, n1=5, n=8.
    # D_o = 2/8, D_e = 2*3*5/(8*7), alpha = 1 - D_o/D_e = 1 - 112/240 = 8/15.
    preds = np.array([[0, 0, 1, 1], [0, 1, 1, 1]])
    assert alpha_nominal(preds) == pytest.approx(8 / 15)


def test_alpha_three_raters_hand_computed():
    # Units: (0,0,0), (1,1,0), (2,2,2). Each unit of 3 values adds pairs with weight 1/2.
    # o00 = 3 + 1/2*2 = ... computed by pairs: unit1 6 ordered 00 pairs *1/2 = 3;
    # unit2: 11 pairs 2*1/2=1, 10 and 01 pairs 2 each *1/2 = 1 each; unit3: o22 = 3.
    # o00=3, o11=1, o01=o10=1, o22=3 -> n0=4, n1=2, n2=3, n=9.
    # D_o = 2/9; D_e = (4*2 + 4*3 + 2*3)*2/(9*8) = 52/72; alpha = 1 - (2/9)/(52/72) = 1 - 16/52.
    preds = np.array([[0, 1, 2], [0, 1, 2], [0, 0, 2]])
    assert alpha_nominal(preds) == pytest.approx(1 - 16 / 52)


def test_alpha_perfect_and_degenerate():
    assert alpha_nominal(np.array([[0, 1, 2, 1], [0, 1, 2, 1]])) == pytest.approx(1.0)
    # One class everywhere (a collapsed student): no variation, alpha is undefined.
    assert np.isnan(alpha_nominal(np.ones((3, 5), dtype=int)))


def test_p_unchanged():
    preds = np.array([[0, 0, 1, 1], [0, 1, 1, 1], [0, 1, 1, 0]])
    assert p_unchanged(preds) == pytest.approx(2 / 4)
    assert p_unchanged(preds[:1]) == 1.0


def test_over_seeds_values():
    gold = np.array([0, 0, 1, 1])
    preds = np.array([[0, 0, 1, 1], [0, 1, 1, 1]])  # accuracies 1.0 and 0.75
    out = over_seeds(gold, preds, 2)
    assert out["acc_mean"] == pytest.approx(0.875)
    assert out["acc_std"] == pytest.approx(np.std([1.0, 0.75], ddof=1))
    # Macro-F1 of the second run: class 0 P=1 R=.5 F=2/3; class 1 P=2/3 R=1 F=.8.
    assert out["f1_mean"] == pytest.approx((1.0 + (2 / 3 + 0.8) / 2) / 2)
    assert out["f1_class_0"] == pytest.approx((1 + 2 / 3) / 2)
    assert out["p_uc"] == pytest.approx(0.75)
    assert out["alpha"] == pytest.approx(8 / 15)
    # the second seed predicts class 1 on 3 of 4 items: half the way from its test share of 50%
    # to answering it always
    assert out["pred_share_max"] == pytest.approx(0.75) and out["collapsed"] == "seed 2 (0.75)"
    lenient = over_seeds(gold, preds, 2, seeds=[7, 9], collapse=CollapseRule(margin=0.6))
    assert lenient["collapsed"] == ""


def test_near_collapse_counts_the_largest_predicted_class():
    preds = np.array([[0] * 9 + [1], [2] * 10, [0, 1, 2, 0, 1, 2, 0, 1, 2, 2]])
    np.testing.assert_allclose(largest_class_share(preds, 3), [0.9, 1.0, 0.4])
    assert collapsed([1, 2, 3], largest_class_share(preds, 3), [True, False, True]) == (
        "seed 1 (0.90); seed 3 (0.40)"
    )


def test_collapse_is_relative_to_the_test_set():
    """A 92/8 task: an accurate student predicting the majority on 92% of items is not
    flagged (no margin over the test share, the minority found); one answering the majority
    everywhere is (minority recall 0), and so is one that predicts the minority on 68% of the
    items (past 8% + half of the remaining 92%); one predicting it on 38% is biased, not
    collapsed."""
    gold = np.array([0] * 92 + [1] * 8)
    accurate = gold.copy()
    accurate[[0, 92]] = [1, 0]  # one error each way: 99% predicted majority 92%
    majority = np.zeros(100, int)
    over = np.where(np.arange(100) < 60, 1, gold)  # 68% minority predicted against 8%
    biased = np.where(np.arange(100) < 30, 1, gold)  # 38%
    flags = collapse_flags(gold, np.stack([accurate, majority, over, biased]), 2, CollapseRule())
    assert flags.tolist() == [False, True, True, False]
    # recall near 0 on one class of three, shares otherwise plausible
    gold3 = np.repeat([0, 1, 2], 20)
    never2 = np.where(gold3 == 2, np.tile([0, 1], 30), gold3)
    assert collapse_flags(gold3, never2[None], 3, CollapseRule()).tolist() == [True]
    assert collapse_flags(gold3, never2[None], 3, CollapseRule(recall=0.0, margin=0.5))[0]
    assert not collapse_flags(gold3, never2[None], 3, CollapseRule(recall=-1, margin=0.5))[0]


def test_teacher_quality_confusion():
    q = teacher_quality(np.array([0, 0, 1, 2]), np.array([0, 1, 1, 1]), 3)
    assert q["confusion"] == [[1, 1, 0], [0, 1, 0], [0, 1, 0]]
    assert q["accuracy"] == pytest.approx(0.5)
    assert q["class_f1"][2] == 0.0


def test_runs_table_requires_aligned_items():
    import pandas as pd

    a = pd.DataFrame({"id": ["x", "y"], "pred": [0, 1]})
    b = pd.DataFrame({"id": ["y", "x"], "pred": [1, 0]})
    with pytest.raises(ValueError):
        runs_table({1: a, 2: b})
    assert runs_table({2: a, 1: a}).shape == (2, 2)
