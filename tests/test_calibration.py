"""Gold-free calibration of the teacher's labels: prior correction (one step and EM fixed point),
contextual calibration with content-free inputs, the calibrated label sources and diagnostics."""

import json
import math

import numpy as np
import pandas as pd
import pytest

from labelrisk.artefacts.tables import display_name
from labelrisk.artefacts.teacher_figures import diagnostics_table
from labelrisk.evaluation.evaluate import calibrated_teacher_rows, teacher_table
from labelrisk.grid import Source, check, gold_budget, sources
from labelrisk.labels.calibration import (
    CalibrationError,
    apply_weights,
    calibrate,
    calibrated_members,
    compare,
    content_free_weights,
    prior_weights,
)
from labelrisk.labels.training_sets import label


def annotations(probs, ids=None, split=None):
    probs = np.asarray(probs, dtype=float)
    ann = pd.DataFrame({"id": ids or [f"i{i}" for i in range(len(probs))]})
    ann["pred"] = probs.argmax(1)
    ann["entropy"] = -(probs * np.log(np.clip(probs, 1e-12, 1))).sum(1)
    ann["class_mass"] = 1.0
    for k in range(probs.shape[1]):
        ann[f"p_{k}"] = probs[:, k]
    if split is not None:
        ann["split"] = split
    return ann


def biased(true, bias):
    """The true distributions as a teacher with a per-class preference reports them."""
    return apply_weights(true, 1 / np.asarray(bias))


# Balanced true distributions (their mean is uniform), three classes, confident and unsure items.
TRUE = np.array(
    [
        [0.7, 0.2, 0.1],
        [0.1, 0.7, 0.2],
        [0.2, 0.1, 0.7],
        [0.5, 0.3, 0.2],
        [0.2, 0.5, 0.3],
        [0.3, 0.2, 0.5],
    ]
)
BIAS = np.array([0.1, 0.1, 0.8])  # prefers class 2 eight times over


@pytest.mark.unit
def test_bias_hides_the_true_labels():
    p = biased(TRUE, BIAS)
    assert TRUE.mean(0) == pytest.approx([1 / 3] * 3)
    assert p.argmax(1).tolist() == [2, 2, 2, 2, 2, 2]  # every item labelled class 2


@pytest.mark.unit
def test_prior_correction_restores_a_known_bias():
    p = biased(TRUE, BIAS)
    one_step = apply_weights(p, prior_weights(p))
    assert one_step.argmax(1).tolist() == TRUE.argmax(1).tolist()
    # The EM fixed point recovers the bias itself (up to scale), hence the true distributions.
    w = prior_weights(p, em=True)
    np.testing.assert_allclose(w, BIAS / BIAS.sum(), atol=1e-8)
    np.testing.assert_allclose(apply_weights(p, w), TRUE, atol=1e-8)
    # One step does not (the biased mean mixes bias and content); EM does better.
    assert np.abs(one_step - TRUE).max() > 1e-3


@pytest.mark.unit
def test_one_step_prior_correction_by_hand():
    p = np.array([[0.9, 0.1], [0.6, 0.4]])
    w = prior_weights(p)
    assert w == pytest.approx([0.75, 0.25])
    # (0.9/0.75, 0.1/0.25) = (1.2, 0.4) -> (0.75, 0.25); (0.8, 1.6) -> (1/3, 2/3).
    np.testing.assert_allclose(apply_weights(p, w), [[0.75, 0.25], [1 / 3, 2 / 3]])


@pytest.mark.unit
def test_em_fixed_point_matches_a_hand_computation():
    # Multiply class 1 by r: 0.1r/(0.9+0.1r) + 0.4r/(0.6+0.4r) = 1 (mean 1/2), i.e.
    # r/(9+r) + 2r/(3+2r) = 1  =>  2r^2 = 27  =>  r = sqrt(13.5).
    p = np.array([[0.9, 0.1], [0.6, 0.4]])
    w = prior_weights(p, em=True)
    r = math.sqrt(13.5)
    assert w[0] / w[1] == pytest.approx(r, rel=1e-8)
    cal = apply_weights(p, w)
    assert cal.mean(0) == pytest.approx([0.5, 0.5], abs=1e-9)
    assert cal[0, 1] == pytest.approx(0.1 * r / (0.9 + 0.1 * r), rel=1e-8)
    assert cal.argmax(1).tolist() == [0, 1]


@pytest.mark.unit
def test_a_class_the_teacher_never_gives_stops_with_its_name():
    ann = annotations([[1.0, 0.0], [0.7, 0.3]])
    ann["p_1"] = 0.0
    ann["p_0"] = 1.0
    with pytest.raises(CalibrationError, match=r"class 1 \('positive'\).*'movies'.*'qwen'"):
        calibrated_members([ann], "prior", False, None, ["negative", "positive"], "movies", "qwen")
    with pytest.raises(CalibrationError, match="class 1"):
        calibrate(ann, "prior", em=True)


@pytest.mark.unit
def test_content_free_calibration_is_applied_and_checked():
    meta = {"content_free": {"inputs": ["N/A", ""], "probs": [[0.8, 0.2], [0.6, 0.4]]}}
    assert content_free_weights(meta, 2) == pytest.approx([0.7, 0.3])
    ann = annotations([[0.6, 0.4], [0.8, 0.2]])
    cal = calibrate(ann, "content_free", meta=meta)
    # (0.6/0.7, 0.4/0.3) -> class 1; (0.8/0.7, 0.2/0.3) -> class 0.
    assert cal.pred.tolist() == [1, 0] and cal.raw_pred.tolist() == [0, 0]
    a, b = 0.6 / 0.7, 0.4 / 0.3
    assert cal.p_1[0] == pytest.approx(b / (a + b))
    assert cal.entropy[0] == pytest.approx(
        -(a * np.log(a / (a + b)) + b * np.log(b / (a + b))) / (a + b)
    )
    with pytest.raises(CalibrationError, match="no content-free scores.*'nyt'.*'smol'"):
        calibrated_members([ann], "content_free", False, {}, ["n", "p"], "nyt", "smol")
    zero = {"content_free": {"inputs": ["N/A"], "probs": [[1.0, 0.0]]}}
    with pytest.raises(CalibrationError, match=r"class 1 \('p'\)"):
        calibrate(ann, "content_free", meta=zero, labels=["n", "p"], context="x")


def items_and_members():
    p = biased(TRUE, BIAS)
    ann = annotations(p).set_index("id")
    items = pd.DataFrame({"id": ann.index, "text": list("abcdef"), "label": TRUE.argmax(1)})
    return items, ann


@pytest.mark.unit
@pytest.mark.parametrize("em", [False, True])
def test_calibrated_source_labels_by_the_calibrated_argmax(em):
    items, ann = items_and_members()
    members = calibrated_members([ann], "prior", em, None, ["a", "b", "c"], "d", "t")
    out = label(items, Source.parse("t/calibrated_prior"), members)
    assert out.label.tolist() == TRUE.argmax(1).tolist()
    assert not out.is_gold.any()  # no gold spent
    assert out.teacher_label.tolist() == [2] * 6  # the teacher's own labels
    cal = out[["cal_p_0", "cal_p_1", "cal_p_2"]].to_numpy()
    np.testing.assert_allclose(cal.sum(1), 1)
    assert out.cal_entropy.to_numpy() == pytest.approx(-(cal * np.log(cal)).sum(1))
    assert not any(c.startswith("p_") for c in out)  # never mistaken for soft targets


@pytest.mark.unit
def test_entropy_filter_on_calibrated_labels():
    items, ann = items_and_members()
    members = calibrated_members([ann], "prior", True, None, ["a", "b", "c"], "d", "t")
    out = label(items, Source.parse("t/calibrated_prior_entropy25"), members)
    assert out.is_gold.sum() == gold_budget(6, 25) == 2
    # The two least certain calibrated distributions are the unsure items 3..5 (TRUE).
    top = np.argsort(-out.cal_entropy.to_numpy(), kind="stable")[:2]
    assert sorted(np.flatnonzero(out.is_gold)) == sorted(top)
    assert set(top) <= {3, 4, 5}
    with pytest.raises(ValueError, match="calibrated first"):
        label(items, Source.parse("t/calibrated_prior"), [ann])


def config(**mit):
    return {
        "grid": {"teachers": ["a", "b"], "datasets": [], "student": "s", "sizes": []},
        "mitigations": {"teachers": ["a"], "ensemble": False, "vote": False, **mit},
        "annotation": {"members": 1, "seed": 0},
        "calibration": {"prior_em": False, "content_free_inputs": ["N/A", "", "[MASK]"]},
        "splits": {"pool_size": 10},
        "datasets": {},
        "teachers": {},
        "students": {"s": {}},
    }


@pytest.mark.unit
def test_grid_names_the_calibrated_sources():
    cfg = config(calibrated=["prior", "content_free"], calibrated_entropy_alphas=[25])
    ids = [s.id for s in sources(cfg)]
    assert ids == [
        "gold",
        "a/llm",
        "b/llm",
        "a/calibrated_prior",
        "a/calibrated_prior_entropy25",
        "a/calibrated_cf",
        "a/calibrated_cf_entropy25",
    ]
    cf25 = Source.parse("a/calibrated_cf_entropy25")
    assert cf25.mitigation.name == "calibrated_entropy" and cf25.params["kind"] == "cf"
    assert cf25.reads_meta and cf25.gold(100) == 25
    assert display_name("a/calibrated_cf_entropy25") == "Calibrated content-free + entropy 25% (a)"
    with pytest.raises(ValueError, match="calibrated_entropy_alphas needs mitigations.calibrated"):
        check(config(calibrated=[], calibrated_entropy_alphas=[5]))


@pytest.mark.unit
def test_teacher_diagnostics_before_and_after_calibration():
    p = biased(TRUE, BIAS)
    split = ["pool"] * 4 + ["val"] * 2
    ann = annotations(p, split=split)
    pool = pd.DataFrame({"id": ann.id[:4], "text": "x", "label": TRUE.argmax(1)[:4]})
    plain = teacher_table(pool, [ann], 3)
    meta = {"content_free": {"inputs": ["N/A"], "probs": [BIAS.tolist()]}}
    cal = calibrated_teacher_rows(pool, ann, ["prior", "content_free"], True, meta, ["a", "b", "c"])
    assert plain.calibration.tolist() == ["none"]
    assert cal.calibration.tolist() == ["prior_em", "content_free"]
    assert plain.accuracy[0] == pytest.approx(1 / 4)  # only item 2 is class 2
    # The content-free inputs reveal the exact bias here; the EM weights use pool + validation.
    assert cal.accuracy.tolist() == [1.0, 1.0]
    assert cal.recall_class_0.tolist() == [1.0, 1.0]
    table = pd.concat([plain, cal], ignore_index=True).assign(dataset="d", teacher="t")
    diag = diagnostics_table(table)
    assert diag.calibration.tolist() == ["none", "prior_em", "content_free"]
    assert {"accuracy", "macro_f1", "ece", "recall_class_2"} <= set(diag.columns)


# --- the annotate job on the real small teacher ---------------------------------------------

ITEMS = pd.DataFrame(
    {
        "id": [f"r{i}" for i in range(6)],
        "text": [
            "Great fun.",
            "Terrible.",
            "I loved every minute of it.",
            "A waste of time.",
            "Charming and smart.",
            "Dull, dull, dull.",
        ],
        "label": [1, 0, 1, 0, 1, 0],
    }
)


@pytest.mark.e2e
def test_content_free_job_records_content_free_scores_and_they_apply(models, tmp_path):
    from labelrisk.annotation.job import Job, run
    from labelrisk.teachers.prompt import Prompt, answer_token_ids, chat_frame
    from labelrisk.teachers.transformers_backend import TransformersTeacher

    ITEMS.iloc[:4].to_parquet(tmp_path / "pool.parquet")
    ITEMS.iloc[4:].to_parquet(tmp_path / "val.parquet")
    teacher = TransformersTeacher(str(models["teacher"]), dtype="float32", threads=2)
    inputs = ["N/A", "", "[MASK]"]

    def job(kind, outputs):
        return Job(
            kind=kind,
            dataset_name="movies",
            teacher_name="smollm2-135m",
            member=0,
            pool=str(tmp_path / "pool.parquet"),
            val=str(tmp_path / "val.parquet"),
            teacher_dir=str(models["teacher"]),
            dataset={"task": "Classify movie reviews.", "labels": ["negative", "positive"]},
            teacher={"backend": "transformers", "dtype": "float32"},
            annotation={
                "shots": 2,
                "seed": 0,
                "max_text_tokens": 64,
                "batch_tokens": 1024,
                "max_batch": 4,
            },
            journal=str(tmp_path / "journal"),
            outputs={k: str(tmp_path / v) for k, v in outputs.items()},
            content_free_inputs=inputs,
        )

    out = run(job("annotate", {"labels": "member0.parquet", "meta": "member0.json"}), teacher)
    # Through the vLLM worker's JSON hand-over too: the inputs travel with the job.
    run(Job.from_json(job("content_free", {"meta": "cf.json"}).to_json()), teacher)
    meta = json.loads((tmp_path / "cf.json").read_text())
    cf = meta["content_free"]
    assert cf["inputs"] == inputs
    probs = np.array(cf["probs"])
    assert probs.shape == (3, 2)
    np.testing.assert_allclose(probs.sum(1), 1, atol=1e-6)
    assert cf["mean"] == pytest.approx(probs.mean(0).tolist())
    assert all(0 < m <= 1 for m in cf["class_mass"])
    # The same numbers as the plain forward pass of each whole prompt with the input in place.
    demos = ITEMS.set_index("id").loc[meta["demonstration_ids"]]
    frame = chat_frame(
        teacher.tokenizer,
        Prompt("Classify movie reviews.", ("negative", "positive")),
        list(zip(demos.text, demos.label, strict=True)),
    )
    naive = teacher.score_naive(
        [frame.full(t) for t in inputs], answer_token_ids(teacher.tokenizer, ["0", "1"])
    )
    np.testing.assert_allclose(probs, naive.probs, atol=1e-4)
    # Applied: the calibrated distribution is p / mean(content-free), renormalised.
    ann = out.set_index("id")
    cal = calibrated_members([ann], "content_free", False, meta, ["negative", "positive"], "m", "s")
    expect = apply_weights(ann[["p_0", "p_1"]].to_numpy(), probs.mean(0))
    np.testing.assert_allclose(cal[0][["p_0", "p_1"]].to_numpy(), expect)
    assert cal[0].pred.tolist() == expect.argmax(1).tolist()


@pytest.mark.unit
def test_compare_lists_each_calibration_on_the_pool():
    p = biased(TRUE, BIAS)
    ann = annotations(p, split=["pool"] * 4 + ["val"] * 2)
    gold = pd.Series(TRUE.argmax(1), index=ann.id)
    meta = {"content_free": {"inputs": ["N/A"], "probs": [BIAS.tolist()]}}
    out = compare(gold, ann, meta, ["a", "b", "c"])
    assert out.calibration.tolist() == ["as labelled", "prior", "prior EM", "content-free"]
    assert out.accuracy.tolist() == [0.25, 1.0, 1.0, 1.0]
    assert out.predicted_shares[0].tolist() == [0, 0, 1]
    assert len(compare(gold, ann, None, ["a", "b", "c"])) == 3  # no content-free scores


@pytest.mark.unit
def test_content_free_inputs_without_a_label_are_left_out_of_the_mean():
    from labelrisk.labels.calibration import CalibrationError, content_free_weights

    cf = {"probs": [[0.8, 0.2], [0.5, 0.5], [0.6, 0.4]], "no_label": [False, True, False]}
    # the mean of the two inputs with a label; the uniform row is left out
    assert content_free_weights({"content_free": cf}, 2) == pytest.approx([0.7, 0.3])
    cf["no_label"] = [True, True, True]
    with pytest.raises(CalibrationError, match="no content-free input a label"):
        content_free_weights({"content_free": cf}, 2)
