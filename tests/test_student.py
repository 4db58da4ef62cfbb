"""Same config and seed, same predictions on the CPU."""

import pandas as pd

from labelrisk.student import Hyper, train_and_predict

TEXTS = [
    "Great fun.",
    "Terrible.",
    "I loved it.",
    "A waste of time.",
    "Charming.",
    "Dull.",
    "Best film this year.",
    "Painfully slow.",
    "Wonderful cast.",
    "Awful script.",
] * 3


def frame(n, offset=0):
    return pd.DataFrame(
        {
            "id": [f"x{i + offset}" for i in range(n)],
            "text": TEXTS[:n],
            "label": [(i + 1) % 2 for i in range(n)],
        }
    )


def test_same_seed_same_predictions(models, tmp_path):
    hp = Hyper(epochs=2, learning_rate=1e-4, max_length=32)
    train, val, test = frame(24), frame(8, 100), frame(10, 200)
    runs = [
        train_and_predict(
            str(models["student"]),
            2,
            train,
            val,
            test,
            seed=7,
            work_dir=tmp_path / f"r{k}",
            hp=hp,
            threads=1,
        )
        for k in range(2)
    ]
    pd.testing.assert_frame_equal(runs[0], runs[1])
    assert list(runs[0].columns) == ["id", "pred", "p_0", "p_1"]
    assert not (tmp_path / "r0").exists()  # checkpoints removed after prediction
    other = train_and_predict(
        str(models["student"]),
        2,
        train,
        val,
        test,
        seed=8,
        work_dir=tmp_path / "r2",
        hp=hp,
        threads=1,
    )
    assert not other[["p_0", "p_1"]].equals(runs[0][["p_0", "p_1"]])
