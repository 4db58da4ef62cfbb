import numpy as np
import pandas as pd
import pytest

from labelrisk.artefacts.budget import budget_figure, gap_recovered, with_gold_budget
from labelrisk.artefacts.tables import display_name, paper_table

pytestmark = pytest.mark.unit


def summary():
    rows = []
    for src, f1, gold in [
        ("gold", 0.8, 128),
        ("t/llm", 0.4, 0),
        ("t/entropy25", 0.5, 32),
        ("t/learned25", 0.7, 32),
        ("t/vote", 0.3, 0),
        ("u/llm", 0.9, 0),
    ]:
        for size, scale in [(32, 0.25), (128, 1.0)]:
            teacher, _, method = src.rpartition("/")
            rows.append(
                {
                    "dataset": "d",
                    "source": src,
                    "teacher": teacher or np.nan,
                    "method": method,
                    "size": size,
                    "f1_mean": f1 * (0.5 if size == 32 else 1.0),
                    "acc_mean": f1,
                    "acc_std": 0.0,
                    "f1_std": 0.0,
                    "alpha": 0.5,
                    "p_uc": 0.5,
                    "gold_train": gold * scale,
                    "gold_val": 12 if method not in ("llm", "vote") else 0,
                }
            )
    return pd.DataFrame(rows)


def test_share_of_the_gap_recovered_at_the_largest_size():
    rec = gap_recovered(summary()).set_index("source")
    assert rec.loc["gold", "recovered"] == 1.0 and rec.loc["t/llm", "recovered"] == 0.0
    assert rec.loc["t/entropy25", "recovered"] == pytest.approx(0.25)  # (0.5 - 0.4) / 0.4
    assert rec.loc["t/learned25", "recovered"] == pytest.approx(0.75)
    assert rec.loc["t/vote", "recovered"] == pytest.approx(-0.25)
    assert np.isnan(rec.loc["u/llm", "recovered"])  # teacher u is not worse than gold
    assert rec.loc["t/learned25", "gold_train"] == 32 and (rec["size"] == 128).all()


def test_table2_gains_a_gold_budget_column():
    s = summary()
    table = paper_table(s, ["d"], ["gold", "t/llm", "t/learned25"])
    out = with_gold_budget(table, s, ["d"])
    col = ("d", "gold train / val")
    assert out.columns[-1] == col and out.shape == (6, 5)  # 3 values, collapsed, gold
    assert out.loc[(display_name("t/learned25"), "mean, αK"), col] == 32
    assert out.loc[(display_name("t/learned25"), "std, puc"), col] == 12
    assert out.loc[("Gold", "mean, αK"), col] == 128


def test_budget_figure_has_one_point_per_source():
    fig = budget_figure(gap_recovered(summary()), ["d"])
    assert len(fig.axes[0].lines) == 6 + 2  # sources + the 0 and 1 guides
