import math

import numpy as np
import pandas as pd
import pytest
import torch

from labelrisk.students.soft_targets import (
    SoftTargets,
    soft_cross_entropy,
    soft_training,
)
from labelrisk.students.train import Hyper, train_and_predict
from labelrisk.teachers.base import probability_columns


@pytest.mark.unit
def test_soft_cross_entropy_by_hand():
    logits = torch.tensor([[0.0, math.log(3.0)]])  # softmax = (1/4, 3/4)
    targets = torch.tensor([[0.5, 0.5]])
    expected = -(0.5 * math.log(0.25) + 0.5 * math.log(0.75))
    assert soft_cross_entropy(logits, targets).item() == pytest.approx(expected, rel=1e-6)


@pytest.mark.unit
def test_one_hot_targets_give_the_usual_cross_entropy():
    logits = torch.tensor([[1.0, -2.0, 0.5], [0.0, 0.3, 2.0]])
    hard = torch.tensor([2, 1])
    one_hot = torch.nn.functional.one_hot(hard, 3).float()
    expected = torch.nn.functional.cross_entropy(logits, hard).item()
    assert soft_cross_entropy(logits, one_hot).item() == pytest.approx(expected, rel=1e-6)


@pytest.mark.unit
def test_soft_training_only_for_frames_with_probabilities():
    hard = pd.DataFrame({"text": ["a", "b"], "label": [0, 1]})
    soft = hard.assign(p_1=[0.3, 0.6], p_0=[0.7, 0.4])
    assert probability_columns(hard) == [] and probability_columns(soft) == ["p_0", "p_1"]
    many = pd.DataFrame(columns=["p_10", "cal_p_0", "p_9", "p_0"])
    assert probability_columns(many) == ["p_0", "p_9", "p_10"]  # class order, not text order
    encoded = [{"input_ids": [1, 2], "labels": 0}, {"input_ids": [3], "labels": 1}]
    cls, data = soft_training(hard, encoded)
    assert cls.__name__ == "Trainer" and data is encoded
    cls, data = soft_training(soft, encoded)
    assert cls.__name__ == "SoftTargetTrainer" and isinstance(data, SoftTargets)
    assert data[1]["soft_labels"] == [np.float32(0.4), np.float32(0.6)]


@pytest.mark.e2e
def test_student_learns_a_soft_distribution(models, tmp_path):
    texts = ["Great fun.", "Terrible.", "I loved it.", "A waste of time."] * 4
    p1 = np.array([0.9, 0.2, 0.8, 0.1] * 4)
    train = pd.DataFrame(
        {"id": [f"t{i}" for i in range(16)], "text": texts, "label": (p1 > 0.5).astype(int)}
    ).assign(p_0=1 - p1, p_1=p1)
    val = train.iloc[:8].drop(columns=["p_0", "p_1"])
    hp = Hyper(epochs=1, learning_rate=1e-4, max_length=16)
    out = train_and_predict(str(models["student"]), 2, train, val, val, 1, tmp_path / "w", hp)
    assert len(out) == 8 and np.allclose(out[["p_0", "p_1"]].sum(axis=1), 1)
