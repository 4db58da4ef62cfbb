"""The report's risk summary (labelrisk.artefacts.risk) on hand-computed cases."""

import numpy as np
import pandas as pd
import pytest

from labelrisk.artefacts import risk
from labelrisk.artefacts.claims.inference import crossed
from labelrisk.artefacts.claims.power import detectable

pytestmark = pytest.mark.unit

GOLD = [0, 0, 0, 1, 1, 1, 1, 1]  # class 0 is the minority (3 of 8)


def run(seed, preds, size=32):
    return pd.DataFrame({"size": size, "seed": seed, "id": range(8), "gold": GOLD, "pred": preds})


def test_paired_difference_is_a_t_interval_over_seeds():
    a, b = pd.Series([0.8, 0.7, 0.9]), pd.Series([0.7, 0.7, 0.7])
    mean, lo, hi = risk.paired_difference(a, b)
    # differences 0.1, 0.0, 0.2: mean 0.1, sd 0.1, t(0.975, 2) = 4.303
    assert mean == pytest.approx(0.1)
    assert (lo, hi) == pytest.approx(
        (0.1 - 4.3027 * 0.1 / 3**0.5, 0.1 + 4.3027 * 0.1 / 3**0.5), abs=1e-4
    )
    assert np.isnan(risk.paired_difference(a[:1], b[:1])[1])


def test_cost_and_minority_by_hand():
    gold = pd.concat([run(1, GOLD), run(2, GOLD)])
    # the teacher's students miss one class-0 item (seed 1) and two (seed 2)
    llm = pd.concat([run(1, [1, 0, 0, 1, 1, 1, 1, 1]), run(2, [1, 1, 0, 1, 1, 1, 1, 1])])
    items = {("d", "gold"): gold, ("d", "t/llm"): llm}
    recovered = pd.DataFrame(
        {
            "dataset": ["d"] * 3,
            "teacher": ["t"] * 3,
            "source": ["t/llm", "t/entropy25", "t/calibrated_prior"],
            "method": ["llm", "entropy", "calibrated"],
            "gold_train": [0.0, 80.0, 0.0],
            "recovered": [0.0, 0.5, 0.25],
        }
    )
    row = risk.risk_table(items, recovered, {"d": ["rare", "common"]}, ["t"]).iloc[0]
    # accuracy 7/8 and 6/8 against 1: cost -0.125 and -0.25, mean -0.1875
    assert row.accuracy_cost == pytest.approx(-0.1875)
    assert row.minority == "rare" and row.minority_share == pytest.approx(3 / 8)
    # class 0 F1: seed 1 precision 1, recall 2/3 -> 0.8; seed 2 recall 1/3 -> 0.5
    assert row.minority_f1_teacher == pytest.approx(0.65) and row.minority_f1_gold == 1
    # entropy25 recovers half the gap for 80 gold labels: 50% / 80 x 100 = 62.5% per 100 labels
    assert row.best_per_gold == "t/entropy25" and row.recovered_per_100_gold == pytest.approx(62.5)
    assert row.best_gold_free == "t/calibrated_prior"
    said = risk.summary_lines(row.to_dict(), pd.DataFrame(columns=["claim", "dataset", "teacher"]))
    assert (
        "Mitigation per gold label: t/entropy25 recovers the most per gold label: 50.0% of the "
        "gap to gold for 80 gold training labels (62.5% of the gap per 100 gold labels)."
    ) in said
    assert (
        "Mitigation without gold: t/calibrated_prior recovers the most of those that spend no "
        "gold label: 25.0% of the gap, for 0 gold training labels."
    ) in said
    assert risk._mitigation_cell(row.to_dict()) == (
        "entropy25 (50.0%, 80 gold) / calibrated_prior (25.0%, no gold)"
    )
    # two seeds: no crossed test, no detectable cost
    assert np.isnan(row.detectable_cost)
    assert "Power: with fewer than 3 seeds the run gives no detectable cost." in said
    none = risk.risk_table(
        items, recovered[recovered.source == "t/llm"], {"d": ["rare", "common"]}, ["t"]
    )
    said = risk.summary_lines(
        none.iloc[0].to_dict(), pd.DataFrame(columns=["claim", "dataset", "teacher"])
    )
    assert "Mitigation: none was run on this teacher's labels (`mitigations.teachers`)." in said


def test_verdict_sentences_read_the_claims_interface():
    claims = pd.DataFrame(
        {
            "claim": ["C1", "C4", "C6"],
            "dataset": ["d", "d", "d"],
            "teacher": ["t", "other", np.nan],
            "verdict": ["holds", "does not hold", "undetermined"],
            "reads": ["Gold beats the teacher.", "x", "The larger teacher is not better."],
        }
    )
    lines = risk.verdicts(claims, "d", "t")
    assert lines == [
        "C1: the run supports it. Gold beats the teacher.",
        "C6: the run cannot tell (the difference is within noise)."
        " The larger teacher is not better.",
    ]
    claims["sentence"] = ["In words.", "", ""]
    assert risk.verdicts(claims, "d", "t")[0] == "C1: the run supports it. In words."


def test_cost_sentence_says_when_the_run_cannot_tell():
    r = {"teacher": "t", "accuracy_cost": -0.05, "accuracy_low": -0.09, "accuracy_high": -0.01}
    r |= {"macro_f1_cost": -0.02, "macro_f1_low": -0.06, "macro_f1_high": 0.02}
    text = risk.cost_sentence(r)
    assert "accuracy -5.0 points (95% interval -9.0 to -1.0)" in text
    assert text.endswith(
        "cannot tell this from no difference (more seeds or test items narrow it)."
    )
    r |= {"macro_f1_high": -0.01}
    assert risk.cost_sentence(r).endswith("a macro-F1 cost this run measured.")


def test_the_cost_interval_is_the_claims_check_s():
    claims = pd.DataFrame(
        {
            "claim": ["C1", "C1"],
            "dataset": ["d", "d"],
            "teacher": ["t", "u"],
            "measure": ["accuracy", "accuracy"],
            "difference": [0.04, 0.5],
            "ci_low": [-0.15, 0.4],
            "ci_high": [0.24, 0.6],
            "measure_2": ["macro-F1", "macro-F1"],
            "difference_2": [0.16, 0.5],
            "ci_low_2": [-0.02, 0.4],
            "ci_high_2": [0.34, 0.6],
        }
    )
    # gold minus teacher, turned into the teacher's cost: -0.04 in [-0.24, +0.15]
    assert risk.claim_intervals(claims, "d", "t") == pytest.approx(
        {
            "accuracy_cost": -0.04,
            "accuracy_low": -0.24,
            "accuracy_high": 0.15,
            "macro_f1_cost": -0.16,
            "macro_f1_low": -0.34,
            "macro_f1_high": 0.02,
        }
    )
    assert risk.claim_intervals(claims, "d", "v") == {}


def test_first_page_is_a_narrow_table_and_sentences_with_the_verdicts():
    gold = pd.concat([run(1, GOLD), run(2, GOLD)])
    llm = pd.concat([run(1, [1, 0, 0, 1, 1, 1, 1, 1]), run(2, [1, 1, 0, 1, 1, 1, 1, 1])])
    items = {("d", "gold"): gold, ("d", "t/llm"): llm}
    recovered = pd.DataFrame(
        {
            "dataset": ["d"],
            "teacher": ["t"],
            "source": ["t/llm"],
            "method": ["llm"],
            "gold_train": [0.0],
            "recovered": [0.0],
        }
    )
    table = risk.risk_table(items, recovered, {"d": ["rare", "common"]}, ["t"])
    claims = pd.DataFrame(
        {"claim": ["C1"], "dataset": ["d"], "teacher": ["t"], "verdict": ["holds"]}
    )
    page = risk.first_page(table, claims)
    header = page.split("   * - d, t")[0]
    assert header.count("     - ") == 5 and "verdicts" not in header  # six columns
    assert "     - none run" in page  # no mitigation ran on t's labels
    assert page.rstrip().endswith("Verdicts: C1 supported.")


def test_detectable_cost_and_collapsed_students_in_the_sentences():
    """Three seeds; the teacher-label students of seeds 2 and 3 answer the common class
    everywhere (the rare class's recall is 0): collapsed, and every sentence says so."""
    gold = pd.concat([run(s, GOLD) for s in (1, 2, 3)])
    llm = pd.concat(
        [run(1, [1, 0, 0, 1, 1, 1, 1, 0]), run(2, [1] * 8), run(3, [1] * 8)], ignore_index=True
    )
    items = {("d", "gold"): gold, ("d", "t/llm"): llm}
    recovered = pd.DataFrame(columns=["dataset", "teacher", "source", "method", "gold_train"])
    recovered["recovered"] = []
    row = risk.risk_table(items, recovered, {"d": ["rare", "common"]}, ["t"]).iloc[0]
    assert row.collapsed_teacher == "seeds 2, 3" and row.collapsed_gold == ""
    # d = gold right minus teacher right: seed 1 [1,0,0,0,0,0,0,1], seeds 2-3 [1,1,1,0,...]
    d = np.array([[1, 0, 0, 0, 0, 0, 0, 1], [1, 1, 1, 0, 0, 0, 0, 0], [1, 1, 1, 0, 0, 0, 0, 0]])
    t = crossed(d.mean(), d.astype(float))
    assert row.detectable_cost == pytest.approx(detectable(t.se, t.df))
    said = risk.summary_lines(row.to_dict(), pd.DataFrame(columns=["claim", "dataset", "teacher"]))
    caveat = "rests partly on near-collapsed students (teacher's labels seeds 2, 3)"
    assert all(caveat in line for line in said[:1] + said[2:4])
    assert (
        f"an accuracy cost below {100 * row.detectable_cost:.1f} points could not be seen"
        in (said[1])
    )
