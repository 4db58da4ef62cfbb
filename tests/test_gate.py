"""The teacher gate: a teacher against the constant majority answer and its mass off the
labels, hand-computed on four items; the message says what was measured and how to go on."""

import math

import pandas as pd
import pytest

from labelrisk.evaluation import gate

pytestmark = pytest.mark.unit

POOL = pd.DataFrame({"id": ["a", "b", "c", "d"], "label": [0, 0, 0, 1]})


def member0(pred, mass=0.95, val=False):
    ann = pd.DataFrame({"id": POOL.id, "pred": pred, "class_mass": mass, "split": "pool"})
    if val:  # validation items are labelled too; the gate reads the pool's
        extra = pd.DataFrame({"id": ["v"], "pred": [0], "class_mass": [0.0], "split": ["val"]})
        ann = pd.concat([ann, extra], ignore_index=True)
    return ann


def test_a_teacher_answering_the_minority_class_is_weak_and_off_the_labels():
    m = gate.measure(POOL, member0([1, 1, 1, 1], mass=0.4, val=True), 2)
    assert m["items"] == 4 and m["accuracy"] == 0.25 and m["majority_accuracy"] == 0.75
    # teacher: F1 0 for class 0, 2 * 0.25 * 1 / 1.25 = 0.4 for class 1
    assert m["macro_f1"] == pytest.approx(0.2)
    # constant 0: F1 2 * 0.75 / 1.75 for class 0, 0 for class 1
    assert m["majority_macro_f1"] == pytest.approx(0.75 / 1.75)
    assert m["off_label_mass"] == pytest.approx(0.6)
    assert gate.findings(m, 0.5) == ["weak", "off_label"]
    assert gate.findings(m, 0.6) == ["weak"]  # the limit itself passes


def test_a_teacher_at_the_majority_accuracy_that_finds_the_minority_passes():
    m = gate.measure(POOL, member0([0, 0, 1, 1]), 2)
    assert m["accuracy"] == m["majority_accuracy"] == 0.75
    assert m["macro_f1"] == pytest.approx((0.8 + 2 / 3) / 2)  # above the constant's 0.43
    assert gate.findings(m, 0.5) == []


def test_the_constant_answer_itself_is_weak():
    m = gate.measure(POOL, member0([0, 0, 0, 0]), 2)
    assert m["accuracy"] == m["majority_accuracy"] and m["macro_f1"] == m["majority_macro_f1"]
    assert gate.findings(m, 0.5) == ["weak"]


def test_unknown_off_label_mass_is_not_a_finding():
    m = gate.measure(POOL, member0([0, 0, 1, 1], mass=math.nan), 2)
    assert math.isnan(m["off_label_mass"]) and gate.findings(m, 0.5) == []
    page = gate.first_page([{"dataset": "d", "teacher": "t", **m, "status": "passed"}])
    assert "     - n/a\n     - passed" in page


def test_the_message_names_the_numbers_the_causes_and_the_override():
    m = gate.measure(POOL, member0([1, 1, 1, 1], mass=0.4), 2)
    text = gate.message("sms", "llama", m, ["weak", "off_label"], 0.5)
    assert "accuracy 0.250 (always answering the most frequent class: 0.750)" in text
    assert "macro-F1 0.200 (that answer's: 0.429)" in text
    assert "mass off the label words 0.600 (limit evaluation.max_off_label_mass: 0.5)" in text
    assert "prompt" in text and "constraint" in text and "answer: ids" in text
    assert "teachers.llama.accept_weak: true" in text
    assert gate.status(["weak"], True) == "accepted: weak"
    assert gate.status(["weak"], False) == "stopped: weak" and gate.status([], False) == "passed"


def test_front_page_and_the_accepted_note():
    rec = {"dataset": "d", "teacher": "t", "prompt_example": "Classify:\n{input_text}"}
    rec |= gate.measure(POOL, member0([1, 1, 1, 1], mass=0.4), 2) | {"status": "accepted: weak"}
    page = gate.first_page([rec])
    assert "   * - d, t (n = 4)\n     - 0.250\n     - 0.200\n     - 0.750 / 0.429\n" in page
    assert "     - 0.600\n     - accepted: weak" in page
    assert "    Classify:\n    {input_text}" in page
    note = gate.accepted_note([rec, dict(rec, teacher="u", status="passed")])
    assert note.count(" on d ") == 1 and "t on d (accuracy 0.250 against 0.750" in note
    assert gate.accepted_note([dict(rec, status="passed")]) == ""
