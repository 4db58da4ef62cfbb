import math

import numpy as np
import pytest

from labelrisk.evaluation.diagnostics import (
    expected_calibration_error,
    gold_cross_entropy,
    reliability,
    teacher_diagnostics,
)

pytestmark = pytest.mark.unit

# Four items: confidences 0.9, 0.6, 0.7, 1.0; the first three predict class 0.
PROBS = np.array([[0.9, 0.1], [0.6, 0.4], [0.7, 0.3], [0.0, 1.0]])
GOLD = np.array([0, 1, 0, 1])


def test_reliability_bins_by_hand():
    rel = reliability(GOLD, PROBS, bins=2)
    assert rel["count"].tolist() == [0, 4]  # every confidence is >= 0.5
    rel = reliability(GOLD, PROBS, bins=5)  # [.6,.8): items 1, 2; [.8,1]: items 0, 3
    assert rel["count"].tolist() == [0, 0, 0, 2, 2]
    assert rel.confidence.iloc[3] == pytest.approx(0.65) and rel.accuracy.iloc[3] == 0.5
    assert rel.confidence.iloc[4] == pytest.approx(0.95) and rel.accuracy.iloc[4] == 1.0
    assert np.isnan(rel.accuracy.iloc[0])


def test_ece_by_hand():
    # bins of width 0.2: (2/4)|0.5 - 0.65| + (2/4)|1.0 - 0.95| = 0.075 + 0.025
    assert expected_calibration_error(GOLD, PROBS, bins=5) == pytest.approx(0.1)
    # one bin: |accuracy 0.75 - mean confidence 0.8|
    assert expected_calibration_error(GOLD, PROBS, bins=1) == pytest.approx(0.05)


def test_gold_cross_entropy_by_hand():
    expected = -(math.log(0.9) + math.log(0.4) + math.log(0.7) + math.log(1.0)) / 4
    assert gold_cross_entropy(GOLD, PROBS) == pytest.approx(expected)
    # a confident miss is large but finite
    assert gold_cross_entropy(np.array([0]), np.array([[0.0, 1.0]])) == pytest.approx(
        -math.log(1e-12)
    )


def test_teacher_diagnostics_recall_and_shares():
    d = teacher_diagnostics(GOLD, PROBS, n_classes=3, bins=5)
    assert d["recall_class_0"] == 1.0 and d["recall_class_1"] == 0.5
    assert d["recall_class_2"] == 0.0 and d["share_class_2"] == 0.0
    assert d["share_class_0"] == 0.5 and d["ece"] == pytest.approx(0.1)
