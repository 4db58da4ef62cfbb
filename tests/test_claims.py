import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import f1_score

from labelrisk.claims import (
    FAILS,
    HOLDS,
    UNDETERMINED,
    claims_markdown,
    claims_table,
    class_f1,
    verdict,
)

N = 200
RNG = np.random.default_rng(0)
GOLD = (np.arange(N) % 10 < 3).astype(int)  # 30% class 1: the minority


def flip(share, seed):
    rng = np.random.default_rng(seed)
    return np.where(rng.random(N) < share, 1 - GOLD, GOLD)


def collapsed(seed):
    """Predicts the majority class except on a few random items."""
    rng = np.random.default_rng(100 + seed)
    return (rng.random(N) < 0.03).astype(int)


def items(sources):
    rows = []
    for src, by_size in sources.items():
        for size, fn in by_size.items():
            for seed in (1, 2, 3):
                rows.append(
                    pd.DataFrame(
                        {
                            "dataset": "d",
                            "source": src,
                            "size": size,
                            "seed": seed,
                            "id": [f"i{k:03d}" for k in range(N)],
                            "gold": GOLD,
                            "pred": fn(seed),
                        }
                    )
                )
    return pd.concat(rows, ignore_index=True)


def summary(gold_train):
    return pd.DataFrame(
        {
            "dataset": "d",
            "source": list(gold_train),
            "size": 100,
            "gold_train": list(gold_train.values()),
        }
    )


def run(sources, gold_train):
    return claims_table(
        items(sources),
        summary(gold_train),
        {"d": np.array([0.7, 0.3])},
        {"d": 2},
        {"d": ["common", "rare"]},
        boot=200,
        seed=0,
    )


def test_class_f1_matches_sklearn():
    preds = np.stack([flip(0.2, s) for s in range(3)] + [np.zeros(N, int)])
    ours = class_f1(GOLD, preds, 3)
    for p, row in zip(preds, ours, strict=True):
        ref = f1_score(GOLD, p, average=None, labels=[0, 1, 2], zero_division=0)
        np.testing.assert_allclose(row, ref)


def test_verdict_rules():
    assert verdict(0.1, 0.05, 0.2, 1.0) == HOLDS
    assert verdict(0.1, 0.05, 0.2, 1 / 3) == UNDETERMINED  # seeds disagree
    assert verdict(-0.1, -0.2, -0.05, 0.0) == FAILS
    assert verdict(0.1, -0.01, 0.2, 1.0) == UNDETERMINED
    assert verdict(np.nan, 0.1, 0.2, None) == UNDETERMINED
    assert verdict(0.1, 0.05, 0.2, None) == HOLDS


def test_claims_on_results_where_the_answer_is_known():
    table = run(
        {
            "gold": {10: lambda s: flip(0.3, s), 100: lambda s: flip(0.05, s)},
            "t/llm": {10: collapsed, 100: collapsed},
            "t/entropy25": {10: collapsed, 100: lambda s: flip(0.4, s)},
            "t/ensemble": {10: collapsed, 100: lambda s: flip(0.08, s)},
        },
        {"gold": 100, "t/llm": 0, "t/entropy25": 25, "t/ensemble": 12.5},
    ).set_index(["claim", "quantity"])
    got = table.verdict.groupby(level=0).apply(list).to_dict()
    assert got["C1"] == [HOLDS, HOLDS]
    # collapsed students agree with each other: p_uc higher, not lower, with LLM labels
    c2 = table.loc["C2"]
    assert c2.verdict.tolist()[1] == FAILS
    assert c2.a.iloc[1] < c2.b.iloc[1]
    assert got["C3"] == [HOLDS] and got["C4"] == [HOLDS] and got["C5"] == [HOLDS]
    c1 = table.loc["C1"].iloc[0]
    assert c1.a == pytest.approx(np.mean([(flip(0.05, s) == GOLD).mean() for s in (1, 2, 3)]))
    assert c1.seeds_for == "3/3" and c1.sign_test_p == pytest.approx(0.125)
    assert c1.ci_low > 0 and c1.ci_low <= c1.difference <= c1.ci_high
    c5 = table.loc["C5"].iloc[0]
    assert (c5.gold_a, c5.gold_b) == (12.5, 25) and c5.a > 0.8 and c5.b < 0.5


def test_identical_sources_leave_the_claims_undetermined():
    same = {10: lambda s: flip(0.2, s), 100: lambda s: flip(0.1, s)}
    table = run({"gold": same, "t/llm": same}, {"gold": 100, "t/llm": 0})
    c1 = table[table.claim == "C1"]
    assert (c1.difference == 0).all() and (c1.verdict == UNDETERMINED).all()
    assert "C5" not in set(table.claim)  # no ensemble in the run
    md = claims_markdown(table)
    assert "**C1**: 2 undetermined" in md and "| C3" in md
