import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import ROOT
from labelrisk.artefacts.claims import claims_markdown, claims_table
from labelrisk.artefacts.claims.plan import NO_ORDER, NOT_BALANCED, minority_class
from labelrisk.artefacts.claims.runs import Runs
from labelrisk.artefacts.claims.verdicts import (
    COLLAPSED,
    FAILS,
    HOLDS,
    TOO_FEW,
    TRADE,
    UNCHANGED,
    UNDETERMINED,
    finish,
)
from labelrisk.config import ConfigError, validate

pytestmark = pytest.mark.unit

N = 200
SEEDS = (1, 2, 3, 4, 5)
GOLD = (np.arange(N) % 10 < 3).astype(int)  # 30% class 1: the minority


def flip(share, seed, gold=GOLD):
    rng = np.random.default_rng(seed)
    return np.where(rng.random(N) < share, 1 - gold, gold)


def items(sources, gold=GOLD, seeds=SEEDS):
    rows = []
    for src, by_size in sources.items():
        for size, fn in by_size.items():
            for seed in seeds:
                rows.append(
                    pd.DataFrame(
                        {
                            "dataset": "d",
                            "source": src,
                            "size": size,
                            "seed": seed,
                            "id": [f"i{k:03d}" for k in range(N)],
                            "gold": gold,
                            "pred": fn(seed),
                        }
                    )
                )
    return pd.concat(rows, ignore_index=True)


def run(sources, gold_train=None, shares=(0.7, 0.3), gold=GOLD, seeds=SEEDS, **kw):
    gold_train = gold_train or {}
    summary = pd.DataFrame(
        {
            "dataset": "d",
            "source": list(gold_train) or ["gold"],
            "size": 100,
            "gold_train": list(gold_train.values()) or [100],
        }
    )
    return claims_table(
        items(sources, gold, seeds),
        summary,
        {"d": np.array(shares)},
        {"d": 2},
        {"d": ["common", "rare"]},
        **kw,
    )


def rows(table, claim):
    return table[table.claim == claim]


def test_claims_on_results_where_the_answer_is_known():
    """Gold students are right on 95% of items; the LLM-label students answer the majority
    class everywhere (near-collapsed); the ensemble recovers most of the gap, entropy little."""
    table = run(
        {
            "gold": {10: lambda s: flip(0.3, s), 100: lambda s: flip(0.05, s)},
            "t/llm": {10: lambda s: np.zeros(N, int), 100: lambda s: np.zeros(N, int)},
            "t/entropy25": {100: lambda s: flip(0.4, s)},
            "t/ensemble": {100: lambda s: flip(0.08, 20 + s)},
        },
        {"gold": 100, "t/llm": 0, "t/entropy25": 25, "t/ensemble": 12.5},
    )
    assert table.groupby("claim").size().to_dict() == {
        "C1": 1,
        "C2": 1,
        "C3": 1,
        "C4": 1,
        "C5": 1,
        "C7": 1,
    }
    c1 = rows(table, "C1").iloc[0]
    assert c1.verdict == HOLDS and (c1.measure, c1.measure_2) == ("accuracy", "macro-F1")
    acc_gold = np.mean([(flip(0.05, s) == GOLD).mean() for s in SEEDS])
    assert c1.a == pytest.approx(acc_gold) and c1.b == pytest.approx(0.7)
    assert c1.ci_low > 0 and c1.ci_low <= c1.difference <= c1.ci_high and c1.seeds_for == "5/5"
    # Students answering one class agree perfectly across seeds: never called "stable".
    assert c1.collapsed == "t/llm n=100: " + ", ".join(f"seed {s} (1.00)" for s in SEEDS)
    for claim in ("C2", "C3", "C7"):
        assert rows(table, claim).verdict.tolist() == [COLLAPSED], claim
    assert "n=10" in rows(table, "C3").collapsed.iloc[0]
    c4 = rows(table, "C4").iloc[0]  # the rare class loses all its F1, the common one a little
    # raw reading beside (measure 2); decided beyond what symmetric noise would cost each class
    assert c4.measure_2 == "F1 lost" and c4.a_2 > 0.9 and c4.b_2 < 0.2
    assert c4.measure == "F1 lost beyond symmetric noise" and c4.a > c4.b
    assert c4.verdict == HOLDS and "Near-collapsed students take part (t/llm n=100" in c4.reads
    c5 = rows(table, "C5").iloc[0]
    assert c5.verdict == HOLDS and (c5.gold_a, c5.gold_b) == (12.5, 25)
    assert c5.recovered_a > 0.8 and c5.recovered_b < 0.5 and c5.measure == "macro-F1"
    assert "Holds: gold labels train better students" in c1.reads


def test_balanced_data_leave_c4_not_applicable():
    table = run(
        {"gold": {100: lambda s: flip(0.05, s)}, "t/llm": {100: lambda s: flip(0.2, s)}},
        shares=(0.497, 0.503),
    )
    c4 = rows(table, "C4").iloc[0]
    assert c4.verdict == NOT_BALANCED and np.isnan(c4.p_holm)
    assert "49.7% of the pool, not below 40%" in c4.reads
    # configurable: a dataset with a 45% class counts as imbalanced below 0.5
    table = run(
        {"gold": {100: lambda s: flip(0.05, s)}, "t/llm": {100: lambda s: flip(0.2, s)}},
        shares=(0.55, 0.45),
        minority_below=0.5,
    )
    assert rows(table, "C4").verdict.iloc[0] != NOT_BALANCED


def test_identical_sources_leave_the_claims_undetermined():
    same = {10: lambda s: flip(0.2, s), 100: lambda s: flip(0.1, s)}
    table = run({"gold": same, "t/llm": same})
    c1 = rows(table, "C1").iloc[0]
    assert c1.difference == 0 and c1.verdict == UNDETERMINED and c1.p_holm == 1.0
    assert "this is not evidence that there is no difference" in c1.reads
    assert "within noise" in c1.reads and "different ways" not in c1.reads
    md = claims_markdown(table)
    assert "- **C1** (gold labels train better students" in md and ": 1 undetermined" in md


def test_c6_orders_teachers_by_declared_parameters():
    """The larger teacher's students disagree more across seeds than the smaller's: C6 holds;
    with the sizes swapped it does not; without sizes it is not applicable, visibly."""

    def noisy(share):
        return lambda s: flip(share, 50 + s)

    sources = {
        "gold": {100: lambda s: flip(0.05, s)},
        "big/llm": {100: noisy(0.3)},
        "small/llm": {100: noisy(0.05)},
    }
    table = run(sources, parameters={"big": 7.0, "small": 3.0})
    c6 = rows(table, "C6").iloc[0]
    assert c6.teacher == "big vs small" and c6.verdict == HOLDS
    assert (c6.measure, c6.measure_2) == ("1 - agreement", "1 - alpha")
    big = np.stack([noisy(0.3)(s) for s in SEEDS])
    pairs = [(big[i] != big[j]).mean() for i in range(5) for j in range(i + 1, 5)]
    assert c6.a == pytest.approx(np.mean(pairs))
    assert c6.p_uc_a == pytest.approx((big == big[:1]).all(0).mean())
    swapped = rows(run(sources, parameters={"big": 1.0, "small": 3.0}), "C6").iloc[0]
    assert swapped.teacher == "small vs big" and swapped.verdict == FAILS
    none = rows(run(sources, parameters={"big": 7.0}), "C6").iloc[0]
    assert none.verdict == NO_ORDER and "no `parameters` declared for small" in none.reads


SEEDS8 = tuple(range(1, 9))


def test_c7_seed_spread_with_the_brown_forsythe_test():
    spread = {1: 0.05, 2: 0.15, 3: 0.3, 4: 0.45, 5: 0.1, 6: 0.35, 7: 0.02, 8: 0.25}
    table = run(
        {
            "gold": {100: lambda s: flip(0.1, s)},
            "t/llm": {100: lambda s: flip(spread[s], 20 + s)},
        },
        seeds=SEEDS8,
    )
    c7 = rows(table, "C7").iloc[0]
    acc = [(flip(spread[s], 20 + s) == GOLD).mean() for s in SEEDS8]
    assert c7.a == pytest.approx(np.std(acc, ddof=1)) and c7.b < 0.03 < c7.a
    assert np.isnan(c7.ci_low) and c7.verdict == HOLDS


def test_c7_one_bad_seed_decides_nothing():
    """Seven seeds alike on both sources, one seed of the teacher-label students 25 points
    worse (below the collapse flag): the seed spread differs by one seed only."""

    def llm(s):
        return flip(0.35 if s == 3 else 0.1, 20 + s)

    table = run({"gold": {100: lambda s: flip(0.1, s)}, "t/llm": {100: llm}}, seeds=SEEDS8)
    c7 = rows(table, "C7").iloc[0]
    assert c7.a > 3 * c7.b and c7.collapsed == ""
    assert c7.verdict == UNDETERMINED


def test_c7_needs_six_seeds():
    table = run({"gold": {100: lambda s: flip(0.1, s)}, "t/llm": {100: lambda s: flip(0.2, s)}})
    c7 = rows(table, "C7").iloc[0]
    assert c7.verdict == TOO_FEW and "this test needs 6 seeds" in c7.reads


def test_c8_trade_when_macro_f1_rises_and_accuracy_falls():
    """A 10% minority: the plain labels' students answer the majority class, the calibrated
    ones call a quarter of the majority minority: macro-F1 up 15 points, accuracy down 15."""
    gold = (np.arange(N) % 10 == 0).astype(int)

    def majority(s):
        return flip(0.01, s, np.zeros(N, int))

    def balanced(s):
        rng = np.random.default_rng(40 + s)
        to_rare = (gold == 0) & (rng.random(N) < 0.25)
        found = (gold == 1) & (rng.random(N) < 0.8)
        return (to_rare | found).astype(int)

    sources = {
        "gold": {100: lambda s: flip(0.05, s, gold)},
        "t/llm": {100: majority},
        "t/calibrated_prior": {100: balanced},
    }
    table = run(sources, {"gold": 100, "t/llm": 0, "t/calibrated_prior": 0}, (0.9, 0.1), gold)
    c8 = rows(table, "C8").iloc[0]
    assert c8.measure == "macro-F1" and c8.difference > 0.1 and c8.difference_2 < -0.1
    assert c8.verdict == TRADE and c8.gold_a == 0
    assert c8.reads.startswith("Trade: macro-F1 rises but accuracy falls")


def test_c8_small_accuracy_loss_is_not_ruled_out_so_no_holds():
    """Macro-F1 up clearly, accuracy down about 2 points with an interval that reaches past
    the 1-point margin: neither `holds` (the loss is not shown below the margin) nor, where the
    loss is not shown either, `trade`."""
    sources = {
        "gold": {100: lambda s: flip(0.05, s)},
        "t/llm": {100: lambda s: np.zeros(N, int)},
        "t/calibrated_prior": {100: lambda s: flip(0.32, 40 + s)},
    }
    c8 = rows(run(sources), "C8").iloc[0]
    assert c8.difference > 0.1 and c8.ci_low_2 < -0.01
    assert c8.verdict != HOLDS
    c8 = rows(run(sources, accuracy_margin=0.5), "C8").iloc[0]
    assert c8.verdict == HOLDS and "losing less than 50 points of accuracy" in c8.reads


def test_c8_reads_same_predictions_when_calibration_changed_nothing():
    sources = {
        "gold": {100: lambda s: flip(0.05, s)},
        "t/llm": {100: lambda s: flip(0.35, 30 + s)},
        "t/calibrated_prior": {100: lambda s: flip(0.35, 30 + s)},
    }
    c8 = rows(run(sources), "C8").iloc[0]
    assert c8.difference == 0 and c8.verdict == UNCHANGED


def test_c8_both_sources_answering_one_class_is_a_collapse_not_same_predictions():
    one = {100: lambda s: np.zeros(N, int)}
    sources = {"gold": {100: lambda s: flip(0.05, s)}, "t/llm": one, "t/calibrated_prior": one}
    c8 = rows(run(sources), "C8").iloc[0]
    assert c8.verdict == COLLAPSED and "calibration moved no" not in c8.reads


def test_c8_recovered_share_is_reported_not_tested():
    sources = {
        "gold": {100: lambda s: flip(0.05, s)},
        "t/llm": {100: lambda s: flip(0.35, 30 + s)},
        "t/calibrated_prior": {100: lambda s: flip(0.15, 40 + s)},
        "t/calibrated_cf": {100: lambda s: flip(0.6, 60 + s)},
    }
    c8 = rows(run(sources), "C8").set_index("claim_tested")
    prior = c8.loc[[q for q in c8.index if q.startswith("calibrated_prior")][0]]
    cf = c8.loc[[q for q in c8.index if q.startswith("calibrated_cf")][0]]
    assert prior.verdict == HOLDS and 0.5 < prior.recovered_a < 1
    assert f"recovers {100 * prior.recovered_a:.0f}% of the macro-F1 gap" in prior.reads
    assert cf.verdict == FAILS and cf.recovered_a < 0


def test_no_gap_to_recover_where_gold_does_not_beat_the_teacher():
    sources = {
        "gold": {100: lambda s: flip(0.35, s)},
        "t/llm": {100: lambda s: flip(0.25, 30 + s)},
        "t/calibrated_prior": {100: lambda s: flip(0.1, 40 + s)},
    }
    c8 = rows(run(sources), "C8").iloc[0]
    assert np.isnan(c8.recovered_a) and "there is no gap to gold to recover" in c8.reads
    assert "recovering" not in c8.claim_tested


def test_holm_within_each_claim():
    def row(claim, p, direction=1):
        return {"claim": claim, "claim_tested": "x", "p_row": p, "direction": direction} | {
            "seeds": 5,
            "items": 200,
        }

    out = finish([row("C1", 0.01), row("C1", 0.04), row("C1", 0.03, -1), row("C2", 0.04)])
    # C1: sorted 0.01, 0.03, 0.04 -> 0.03, 0.06, 0.06 (Holm); C2 alone keeps its p
    assert [r["p_holm"] for r in out] == pytest.approx([0.03, 0.06, 0.06, 0.04])
    assert [r["verdict"] for r in out] == [HOLDS, UNDETERMINED, UNDETERMINED, HOLDS]
    assert "Holm's correction over 3 checks" in out[0]["reads"]
    # over the whole table: 0.01, 0.03, 0.04, 0.04 -> 0.04, 0.09, 0.09, 0.09
    out = finish(
        [row("C1", 0.01), row("C1", 0.04), row("C1", 0.03, -1), row("C2", 0.04)],
        correction="table",
    )
    assert [r["p_holm"] for r in out] == pytest.approx([0.04, 0.09, 0.09, 0.09])
    (mixed,) = finish([row("C1", 1.0, 0) | {"disagree": True}])
    assert mixed["verdict"] == UNDETERMINED and "point different ways" in mixed["reads"]


def test_two_seeds_decide_nothing():
    table = run(
        {"gold": {100: lambda s: flip(0.05, s)}, "t/llm": {100: lambda s: flip(0.3, s)}},
        seeds=(1, 2),
    )
    for claim in ("C1", "C2", "C4", "C7"):
        assert rows(table, claim).verdict.tolist() == [TOO_FEW], claim
    assert "this test needs 3 seeds" in rows(table, "C1").reads.iloc[0]


def test_markdown_leads_with_counts_then_sentences_then_table():
    table = run(
        {"gold": {100: lambda s: flip(0.05, s)}, "t/llm": {100: lambda s: flip(0.3, s)}},
        shares=(0.5, 0.5),
    )
    md = claims_markdown(table)
    head = md.split("## ")[0]
    assert f"**{len(table)} verdicts** on 5 seeds" in head
    assert "**C6**: not checked" in head and "**C8**: not checked" in head
    assert md.index("## Every verdict in words") < md.index("## The table")
    assert "- **C4, d, t**: Not applicable" in md
    assert "expected to hold at most 0.1 claims with a false verdict" in head


def test_runs_refuse_missing_seeds():
    df = items({"gold": {100: lambda s: flip(0.05, s)}})
    df = pd.concat([df, items({"t/llm": {100: lambda s: flip(0.05, s)}}, seeds=(1, 2))])
    with pytest.raises(ValueError, match="t/llm n=100"):
        Runs.from_items(df, 2)


def test_config_sections_claims_and_evaluation():
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    schema = str(ROOT / "schemas" / "config.schema.yaml")
    validate(config, schema)
    assert config["teachers"]["qwen2.5-coder-1.5b"]["parameters"] == 1.54
    with pytest.raises(ConfigError, match="`analysis` is now `claims` and `evaluation`"):
        validate({**config, "analysis": {"bootstrap": 1000}}, schema)
    with pytest.raises(ConfigError, match="claims.level"):
        validate({**config, "claims": {"level": 0.7}}, schema)
    with pytest.raises(ConfigError, match="`collapse_share` is now `collapse_margin`"):
        validate({**config, "evaluation": {"collapse_share": 0.9}}, schema)
    with pytest.raises(ConfigError, match="evaluation.collapse_margin"):
        validate({**config, "evaluation": {"collapse_margin": 1.5}}, schema)
    with pytest.raises(ConfigError, match="claims.correction"):
        validate({**config, "claims": {"correction": "none"}}, schema)


def test_c2_is_about_stability_not_accuracy():
    """Students that err independently agree across seeds as their accuracy implies: less
    accurate teacher-label students alone do not make C2 hold (the raw agreement does fall).
    Gold students erring on the same items every seed agree beyond chance: C2 holds."""
    independent = run(
        {"gold": {100: lambda s: flip(0.05, s)}, "t/llm": {100: lambda s: flip(0.25, 10 + s)}}
    )
    c2 = rows(independent, "C2").iloc[0]
    assert c2.measure == "agreement beyond accuracy" and abs(c2.difference) < 0.02
    assert c2.measure_2 == "agreement" and c2.difference_2 > 0.2 and c2.ci_low_2 > 0
    assert c2.verdict == UNDETERMINED
    stable = run(
        {"gold": {100: lambda s: flip(0.2, 0)}, "t/llm": {100: lambda s: flip(0.2, 10 + s)}}
    )
    c2 = rows(stable, "C2").iloc[0]
    assert c2.verdict == HOLDS and c2.a > 0.25 and abs(c2.b) < 0.02


def test_c4_symmetric_noise_alone_does_not_make_it_hold():
    """Teacher-label students are the gold ones with 20% of answers flipped whatever the class:
    the rare class loses more F1 (the raw reading), but no more than symmetric noise costs it."""

    def gold_students(s):
        return flip(0.03, s)

    table = run(
        {
            "gold": {100: gold_students},
            "t/llm": {100: lambda s: flip(0.2, 50 + s, gold_students(s))},
        }
    )
    c4 = rows(table, "C4").iloc[0]
    assert c4.difference_2 > 0.05 and c4.ci_low_2 > 0  # raw: the minority loses more
    assert abs(c4.difference) < 0.03 and c4.verdict == UNDETERMINED


def test_c4_asks_only_where_one_class_is_clearly_the_minority():
    assert minority_class(np.array([0.7, 0.3]), 0.4) == (1, "")
    lo, why = minority_class(np.array([1 / 3, 1 / 3, 1 / 3]), 0.4)
    assert lo == -1 and "not below 27%" in why  # 0.4 x 2 / 3
    assert minority_class(np.array([0.6, 0.25, 0.15]), 0.4) == (2, "")
    lo, why = minority_class(np.array([0.5, 0.26, 0.24]), 0.4)
    assert lo == -1 and "too close to the next (26.0%)" in why
