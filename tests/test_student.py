"""The student: same config and seed, same predictions on the CPU; a run that never leaves the
label prior is restarted, and a near-collapsed student is named in the log."""

import logging
import math

import pandas as pd
import pytest
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

from labelrisk.students.fit import derived_seed, left_start, prior_loss
from labelrisk.students.train import (
    BestInMemory,
    Hyper,
    Run,
    Tokens,
    epochs_for,
    train_and_predict,
    train_runs,
)

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
def test_tokens_encode_each_text_once(tokenizers):
    from transformers import AutoTokenizer

    calls = []
    tok = AutoTokenizer.from_pretrained(str(tokenizers["student"]))

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


@pytest.mark.unit
def test_prior_loss_is_the_entropy_of_the_training_labels():
    hard = pd.DataFrame({"label": [0, 0, 0, 1]})
    assert prior_loss(hard, 2) == pytest.approx(-(0.75 * math.log(0.75) + 0.25 * math.log(0.25)))
    assert prior_loss(pd.DataFrame({"label": [1, 1]}), 3) == 0.0
    # Soft targets: the entropy of their mean, (0.5, 0.5).
    soft = pd.DataFrame({"label": [0, 1], "p_0": [0.8, 0.2], "p_1": [0.2, 0.8]})
    assert prior_loss(soft, 2) == pytest.approx(math.log(2))


@pytest.mark.unit
def test_a_run_leaves_its_start_when_its_last_loss_falls_below_nine_tenths_of_the_prior():
    ln2 = math.log(2)
    assert not left_start([0.704, 0.693, 0.695], ln2)  # the collapsed run: ln 2 throughout
    assert not left_start([0.69, 0.63], ln2)  # 0.63 > 0.9 ln 2 = 0.624
    assert left_start([0.69, 0.62], ln2)
    assert not left_start([], ln2)


@pytest.mark.unit
def test_restart_seeds_are_derived_and_never_a_grid_seed():
    assert derived_seed(3, 0) == 3
    assert [derived_seed(s, 1) for s in (1, 2, 3)] == [100_004, 100_005, 100_006]
    assert derived_seed(1, 2) == 200_007


@pytest.mark.unit
def test_small_training_sets_get_at_least_min_steps_updates():
    hp = Hyper(epochs=3, train_batch_size=16, min_steps=60)
    assert epochs_for(hp, 100) == 9  # 7 steps an epoch
    assert epochs_for(hp, 300) == 4  # 19 steps an epoch
    assert epochs_for(hp, 1000) == 3  # 63 steps an epoch: `epochs` already gives more
    assert epochs_for(Hyper(epochs=3), 100) == 3


@pytest.mark.e2e
def test_length_grouped_runs_predict_each_test_item_itself(models, tmp_path):
    """transformers' length-grouped sampling also shuffles evaluation sets, and `predict` returned
    the test predictions in that shuffled order; here each row must be its own item's."""
    hp = Hyper(
        epochs=2, learning_rate=1e-4, max_length=32, group_by_length=True, mixed_precision=False
    )
    train, val, test = frame(30), frame(8, 100), frame(10, 200)
    pred = train_and_predict(
        str(models["student"]), 2, train, val, test, 3, tmp_path / "w", hp, keep_model=True
    )
    model = AutoModelForSequenceClassification.from_pretrained(tmp_path / "w" / "best").eval()
    tok = AutoTokenizer.from_pretrained(models["student"])
    with torch.no_grad():
        logits = model(**tok(test.text.tolist(), padding=True, return_tensors="pt")).logits
    expected = torch.softmax(logits, -1)[:, 1].numpy()
    assert pred.p_1.to_numpy() == pytest.approx(expected, abs=1e-4)


@pytest.mark.e2e
def test_a_run_stuck_at_the_prior_is_restarted_and_logged(models, tmp_path, caplog):
    fits = []
    hp = Hyper(epochs=1, learning_rate=1e-9, max_length=32, restarts=1)
    run = Run(frame(24), frame(8, 100), 4, tmp_path / "w")
    with caplog.at_level(logging.INFO, logger="labelrisk.students.train"):
        list(train_runs(str(models["student"]), 2, [run], frame(10, 200), hp, threads=1, fits=fits))
    (fit,) = fits
    assert fit.seeds_tried == [4, 100_007] and fit.seed == 4
    assert fit.prior_loss == pytest.approx(math.log(2)) and not fit.left_start
    text = caplog.text
    assert "never left the label prior's 0.693; restarting with seed 100007" in text
    assert "seed 4: the training loss never left the label prior (2 seeds tried: 4 100007)" in text


@pytest.mark.e2e
def test_a_near_collapsed_student_is_named_in_the_log(models, tmp_path, caplog):
    fits = []
    train = frame(24).assign(label=1)  # one class: the student can only answer it
    run = Run(train, frame(8, 100), 2, tmp_path / "w")
    hp = Hyper(epochs=3, learning_rate=1e-3, max_length=32, restarts=1)
    with caplog.at_level(logging.INFO, logger="labelrisk.students.train"):
        list(train_runs(str(models["student"]), 2, [run], frame(10, 200), hp, threads=1, fits=fits))
    (fit,) = fits
    assert fit.seeds_tried == [2]  # nothing to learn beyond the prior: no restart
    assert (fit.test_share, fit.test_class) == (1.0, 1)
    assert "24 items, seed 2: near-collapsed, class 1 predicted for 100.0% of the test set" in (
        caplog.text
    )


def _loss_and_grads(trainer, model, batch):
    model.zero_grad()
    loss = trainer.compute_loss(model, dict(batch))
    loss.backward()
    return loss.item(), {
        n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None
    }


@pytest.mark.e2e
@pytest.mark.parametrize("soft", [False, True])
def test_a_batch_in_length_chunks_has_the_whole_batchs_loss_and_gradient(models, tmp_path, soft):
    """Dropout off, a batch of texts of 2 to 7 words in 3 chunks (one chunk shorter than its
    padding) gives the loss and every gradient of the batch computed whole."""
    from transformers import DataCollatorWithPadding, TrainingArguments

    from labelrisk.students.soft_targets import soft_training
    from labelrisk.students.train import in_length_chunks

    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_pretrained(
        models["student"], num_labels=2, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0
    ).train()
    tok = AutoTokenizer.from_pretrained(models["student"])
    texts = [
        "Dull.",
        "I loved every minute of it.",
        "Awful script.",
        "Best film this year, by far.",
    ]
    labels = [0, 1, 0, 1]
    train = pd.DataFrame({"text": texts, "label": labels})
    if soft:
        train["p_0"], train["p_1"] = [0.9, 0.2, 0.6, 0.1], [0.1, 0.8, 0.4, 0.9]
    rows = [{**tok(t), "labels": y} for t, y in zip(texts, labels, strict=True)]
    trainer_cls, dataset = soft_training(train, rows)
    batch = DataCollatorWithPadding(tok)([dataset[i] for i in range(len(texts))])
    assert batch["attention_mask"].sum(1).tolist() != [batch["input_ids"].shape[1]] * 4
    args = TrainingArguments(str(tmp_path), use_cpu=True, report_to="none")
    whole = trainer_cls(model=model, args=args)
    chunked = in_length_chunks(trainer_cls, 3)(model=model, args=args)
    loss, grads = _loss_and_grads(whole, model, batch)
    loss_c, grads_c = _loss_and_grads(chunked, model, batch)
    assert loss_c == pytest.approx(loss, rel=1e-5)
    assert grads.keys() == grads_c.keys() and len(grads) > 50
    for name, g in grads.items():
        assert torch.allclose(grads_c[name], g, rtol=1e-4, atol=1e-6), name


@pytest.mark.e2e
def test_a_student_trained_in_length_chunks_learns_and_is_deterministic(models, tmp_path):
    hp = Hyper(epochs=3, learning_rate=1e-4, max_length=32, length_chunks=2, mixed_precision=False)
    train, val, test = frame(30), frame(8, 100), frame(10, 200)
    preds = [
        train_and_predict(str(models["student"]), 2, train, val, test, 5, tmp_path / f"r{k}", hp)
        for k in range(2)
    ]
    pd.testing.assert_frame_equal(preds[0], preds[1])
    assert (preds[0].pred == test.label).mean() >= 0.8
