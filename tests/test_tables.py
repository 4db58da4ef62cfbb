import pandas as pd
import pytest

from labelrisk.artefacts.tables import display_name, paper_table, table1_sources, table2_sources

pytestmark = pytest.mark.unit


def summary():
    rows = []
    for ds in ["movies", "nyt"]:
        for src, base in [("gold", 0.9), ("t/llm", 0.7), ("t/entropy5", 0.75), ("t/ensemble", 0.8)]:
            for size in [32, 128]:
                bump = 0.05 if size == 128 else 0.0
                rows.append(
                    {
                        "dataset": ds,
                        "source": src,
                        "size": size,
                        "acc_mean": base + bump,
                        "acc_std": 0.01,
                        "f1_mean": base - 0.1 + bump,
                        "f1_std": 0.02,
                        "alpha": 0.5 + bump,
                        "p_uc": 0.6 + bump,
                    }
                )
    return pd.DataFrame(rows)


def test_paper_layout_at_the_largest_size_times_100():
    t = paper_table(summary(), ["movies", "nyt"], ["gold", "t/llm"])
    assert t.shape == (4, 8)  # 3 values and the collapsed students per dataset
    assert t.loc[("Gold", "mean, αK"), ("movies", "µacc / σacc")] == pytest.approx(95.0)
    assert t.loc[("Gold", "mean, αK"), ("nyt", "αK / puc")] == pytest.approx(55.0)
    assert t.loc[("t", "std, puc"), ("movies", "µf1 / σf1")] == pytest.approx(2.0)
    assert t.loc[("t", "std, puc"), ("movies", "αK / puc")] == pytest.approx(65.0)


def test_collapsed_students_are_named_on_the_first_row():
    s = summary().assign(collapsed="")
    s.loc[(s.source == "t/llm") & (s["size"] == 128) & (s.dataset == "nyt"), "collapsed"] = (
        "seed 3 (0.99)"
    )
    t = paper_table(s, ["movies", "nyt"], ["gold", "t/llm"])
    assert t.loc[("t", "mean, αK"), ("nyt", "collapsed")] == "seed 3 (0.99)"
    assert t.loc[("t", "std, puc"), ("nyt", "collapsed")] == ""
    assert t.loc[("t", "mean, αK"), ("movies", "collapsed")] == ""


def test_missing_cells_are_empty_not_zero():
    t = paper_table(summary(), ["movies", "absent"], ["gold"])
    assert t[("absent", "µacc / σacc")].isna().all()


def test_table_sources_and_names():
    assert table1_sources(["a", "b"]) == ["gold", "a/llm", "b/llm"]
    assert table2_sources(summary(), ["t"]) == ["gold", "t/llm", "t/entropy5", "t/ensemble"]
    assert display_name("t/entropy25") == "Entropy 25% (t)"
    assert display_name("t/ensemble") == "Ensemble (t)"
    assert display_name("gold") == "Gold"
