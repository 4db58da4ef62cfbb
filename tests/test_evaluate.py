import json

import numpy as np
import pandas as pd
import pytest

from labelrisk.evaluation.evaluate import evaluate_source, item_predictions, teacher_table
from labelrisk.evaluation.metrics import CollapseRule

pytestmark = pytest.mark.unit

TEST = pd.DataFrame({"id": ["a", "b", "c", "d"], "text": list("ABCD"), "label": [0, 0, 1, 1]})


def write_run(tmp_path, size, seed, pred, gold_mask, noisy):
    run = tmp_path / f"n{size}_seed{seed}"
    run.mkdir()
    pd.DataFrame({"id": TEST.id, "pred": pred}).to_parquet(run / "predictions.parquet")
    train = pd.DataFrame(
        {
            "id": [f"t{i}" for i in range(size)],
            "gold": 0,
            "split": "train",
            "label": [1 if i < noisy else 0 for i in range(size)],
            "is_gold": [i < gold_mask for i in range(size)],
        }
    )
    val = pd.DataFrame({"id": ["v"], "gold": 0, "label": 0, "is_gold": [True], "split": "val"})
    sets = tmp_path / f"n{size}_seed{seed}.parquet"
    pd.concat([train, val]).to_parquet(sets)
    return str(run / "predictions.parquet"), str(sets)


def test_evaluate_source_rows(tmp_path):
    runs = [
        write_run(tmp_path, 4, 1, [0, 0, 1, 1], 1, 2),
        write_run(tmp_path, 4, 2, [0, 1, 1, 1], 3, 0),
        write_run(tmp_path, 8, 1, [1, 1, 1, 1], 0, 4),
        write_run(tmp_path, 8, 2, [1, 1, 1, 1], 0, 4),
    ]
    out = evaluate_source(
        TEST, [(4, 1), (4, 2), (8, 1), (8, 2)], [r[0] for r in runs], [r[1] for r in runs], 2
    )
    assert out["size"].tolist() == [4, 8]
    small, large = out.iloc[0], out.iloc[1]
    assert small.acc_mean == pytest.approx(0.875) and small.p_uc == pytest.approx(0.75)
    assert small.alpha == pytest.approx(8 / 15)
    assert small.gold_train == pytest.approx(2.0) and small.gold_val == 1
    assert small.train_label_noise == pytest.approx((2 / 4 + 0) / 2)
    assert large.acc_mean == 0.5 and large.f1_std == 0.0 and large.p_uc == 1.0
    assert np.isnan(large.alpha)  # both seeds predict one class everywhere
    # near-collapse, per seed: at size 4 seed 2 answers class 1 on 3 of 4 items (test share 1/2)
    assert small.pred_share_max == 0.75 and small.collapsed == "seed 2 (0.75)"
    assert large.pred_share_max == 1.0 and large.collapsed == "seed 1 (1.00); seed 2 (1.00)"
    lenient = evaluate_source(
        TEST,
        [(4, 1), (4, 2)],
        [r[0] for r in runs[:2]],
        [r[1] for r in runs[:2]],
        2,
        CollapseRule(margin=0.6),
    )
    assert lenient.collapsed.iloc[0] == ""


def test_item_predictions_take_size_and_seed_from_the_caller(tmp_path):
    a = write_run(tmp_path, 4, 1, [0, 0, 1, 1], 0, 0)[0]
    b = write_run(tmp_path, 8, 2, [1, 1, 1, 1], 0, 0)[0]
    items = item_predictions(TEST, [(8, 2), (4, 1)], [b, a])
    assert items.columns.tolist() == ["size", "seed", "id", "gold", "pred"]
    assert items[["size", "seed"]].drop_duplicates().values.tolist() == [[4, 1], [8, 2]]
    assert items[items["size"] == 8].pred.tolist() == [1, 1, 1, 1]
    with pytest.raises(ValueError):
        item_predictions(TEST, [(4, 1)], [a, b])


def test_teacher_table(tmp_path):
    pool = pd.DataFrame({"id": ["a", "b", "c"], "label": [0, 1, 1]})
    m0 = pd.DataFrame(
        {
            "id": ["a", "b", "c", "v"],
            "pred": [0, 1, 0, 1],
            "entropy": 0.5,
            "class_mass": 0.9,
            "split": ["pool"] * 3 + ["val"],
            "p_0": [0.8, 0.3, 0.6, 0.4],
        }
    ).assign(p_1=lambda f: 1 - f.p_0)
    m1 = m0.assign(pred=[0, 1, 1, 0], p_0=[0.8, 0.3, 0.4, 0.6], p_1=[0.2, 0.7, 0.6, 0.4])
    out = teacher_table(pool, [m0, m1], 2)
    # gold labels 0, 1, 1 under member 0: probabilities 0.8, 0.7, 0.4 (the val item is left out)
    xent = -(np.log(0.8) + np.log(0.7) + np.log(0.4)) / 3
    assert out.gold_cross_entropy.iloc[0] == pytest.approx(xent)
    assert out.recall_class_1.tolist() == [0.5, 1.0] and out.share_class_1.iloc[0] == 2 / 3
    assert out.accuracy.tolist() == pytest.approx([2 / 3, 1.0])
    assert json.loads(out.confusion[0]) == [[1, 0], [1, 1]]
    assert out.ensemble_disagreement.iloc[0] == pytest.approx(1 / 3)
    # One member: no disagreement to measure.
    assert np.isnan(teacher_table(pool, [m0], 2).ensemble_disagreement.iloc[0])
