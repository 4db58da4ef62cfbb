import numpy as np
import pandas as pd
import pytest

from labelrisk.artefacts.reference import beside, beside_markdown, load

pytestmark = pytest.mark.unit


def test_paper_tables_as_printed():
    ref = load()
    assert len(ref) == (3 + 3) * 4 * 6  # (Table 1 + Table 2 rows) x datasets x metrics
    v = ref.set_index(["table", "dataset", "source", "metric"]).value
    assert v[("table1", "manifestos", "qwen2.5-3b/llm", "alpha")] == 52.72
    assert v[("table1", "toxic", "qwen2.5-7b/llm", "p_uc")] == 77.49
    assert v[("table2", "toxic", "qwen2.5-7b/entropy", "p_uc")] == 56.20
    assert v[("table2", "ecommerce", "qwen2.5-7b/ensemble", "acc_mean")] == 95.14
    assert set(ref.dataset) == {"imdb", "ecommerce", "manifestos", "toxic"}


def test_run_values_beside_the_paper_where_ids_match():
    rows = []
    for src, acc in [("gold", 0.9), ("qwen2.5-7b/llm", 0.8), ("qwen2.5-7b/entropy25", 0.85)]:
        for size, bump in [(100, -0.1), (500, 0.0)]:
            rows.append(
                {"dataset": "imdb", "source": src, "size": size, "acc_mean": acc + bump}
                | {m: 0.5 for m in ["f1_mean", "alpha", "acc_std", "f1_std", "p_uc"]}
            )
    out = beside(load(), pd.DataFrame(rows)).set_index(["table", "dataset", "source", "metric"])
    r = out.loc[("table1", "imdb", "gold", "acc_mean")]
    assert r.run == pytest.approx(90.0) and r.difference == pytest.approx(90.0 - 93.84)
    ent = out.loc[("table2", "imdb", "qwen2.5-7b/entropy", "acc_mean")]
    assert ent.run_source == "qwen2.5-7b/entropy25" and ent.run == pytest.approx(85.0)
    assert np.isnan(out.loc[("table1", "imdb", "qwen2.5-3b/llm", "acc_mean")].run)
    assert np.isnan(out.loc[("table1", "toxic", "gold", "acc_mean")].run)
    md = beside_markdown(out.reset_index())
    assert "93.84 / 90.00 (-3.84)" in md and "93.33 / –" in md


def test_the_imdb_ensemble_macro_f1_is_flagged_as_a_likely_typo():
    rows = [
        {"dataset": "imdb", "source": "qwen2.5-7b/ensemble", "size": 100, "f1_mean": 0.93}
        | {m: 0.5 for m in ["acc_mean", "alpha", "acc_std", "f1_std", "p_uc"]}
    ]
    long = beside(load(), pd.DataFrame(rows))
    r = long.set_index(["table", "dataset", "source", "metric"]).loc[
        ("table2", "imdb", "qwen2.5-7b/ensemble", "f1_mean")
    ]
    assert r.paper == 83.45 and r.paper_likely == 93.45  # kept as printed, compared as likely
    assert r.difference == pytest.approx(93.0 - 93.45) and "typo" in r.note
    others = long[long.note == ""]
    assert (others.paper == others.paper_likely).all() and len(others) == len(long) - 1
    md = beside_markdown(long)
    assert "83.45* (likely 93.45) / 93.00 (-0.45)" in md
    assert "printed 83.45, likely a typo for 93.45" in md and "Figure 2" in md
