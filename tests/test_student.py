"""Same config and seed, same predictions on the CPU."""

import pandas as pd
import pytest
import torch

from labelrisk.students.train import BestInMemory, Hyper, Run, Tokens, train_and_predict, train_runs

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


@pytest.mark.e2e
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


@pytest.mark.e2e
def test_runs_sharing_a_job_match_runs_alone(models, tmp_path):
    """A job training several runs (shared tokenisation and test set) predicts as separate jobs."""
    hp = Hyper(epochs=1, learning_rate=1e-4, max_length=32)
    train, val, test = frame(24), frame(8, 100), frame(10, 200)
    runs = [
        Run(train.iloc[:n], val, seed, tmp_path / f"g{n}_{seed}")
        for seed in (3, 4)
        for n in (12, 24)
    ]
    together = list(train_runs(str(models["student"]), 2, runs, test, hp, threads=1))
    for run, pred in zip(runs, together, strict=True):
        alone = train_and_predict(
            str(models["student"]), 2, run.train, val, test, run.seed, tmp_path / "a", hp, threads=1
        )
        pd.testing.assert_frame_equal(pred, alone)


@pytest.mark.unit
def test_tokens_encode_each_text_once(models):
    from transformers import AutoTokenizer

    calls = []
    tok = AutoTokenizer.from_pretrained(str(models["student"]))

    def counting(texts, **kw):
        calls.append(list(texts))
        return tok(texts, **kw)

    tokens = Tokens(counting, max_length=8)
    first = tokens.rows(["a b", "c", "a b"])
    again = tokens.rows(["c", "a b", "d"])
    assert calls == [["a b", "c"], ["d"]]
    assert first[0] is first[2] is again[1]
    long = tokens.rows([" ".join(["word"] * 50)])[0]
    assert len(long["input_ids"]) == 8  # truncated to max_length


@pytest.mark.unit
def test_best_weights_in_memory_follow_the_first_best_epoch():
    model = torch.nn.Linear(1, 1, bias=False)
    best = BestInMemory()
    for weight, f1 in [(1.0, 0.5), (2.0, 0.7), (3.0, 0.7), (4.0, 0.6)]:
        model.weight.data.fill_(weight)
        best.on_evaluate(None, None, None, metrics={"eval_macro_f1": f1}, model=model)
    best.on_train_end(None, None, None, model=model)
    assert model.weight.item() == 2.0  # a tie does not replace the earlier epoch
    assert best.best == pytest.approx(0.7)


@pytest.mark.e2e
def test_best_weights_in_memory_predict_as_checkpoints_on_disk(models, tmp_path):
    train, val, test = frame(24), frame(8, 100), frame(10, 200)
    preds = {
        where: train_and_predict(
            str(models["student"]),
            2,
            train,
            val,
            test,
            seed=5,
            work_dir=tmp_path / where,
            hp=Hyper(epochs=3, learning_rate=3e-4, max_length=32, best_weights=where),
            threads=1,
        )
        for where in ("memory", "disk")
    }
    pd.testing.assert_frame_equal(preds["memory"], preds["disk"])


@pytest.mark.unit
def test_hyper_parameters_come_from_the_config_section():
    from labelrisk.students.train import Hyper

    training = {"epochs": 2, "learning_rate": 3e-4, "runs_per_job": "seed", "keep_models": False}
    hp = Hyper.from_config(training)
    assert (hp.epochs, hp.learning_rate, hp.train_batch_size) == (2, 3e-4, 16)
