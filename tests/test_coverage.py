"""Artefacts refuse tables that do not cover exactly the configured grid."""

import pandas as pd
import pytest
import yaml

from conftest import ROOT, snakemake
from labelrisk.artefacts.coverage import CoverageError, metric_gaps, require, teacher_gaps

GRID = dict(
    datasets=["movies", "tweets"],
    sources=["gold", "t/llm"],
    sizes={"movies": [100, 300], "tweets": [50]},
    seeds=[1, 2, 3],
)


def metrics(rows):
    return pd.DataFrame(rows, columns=["dataset", "source", "size", "seeds"])


FULL = [
    ("movies", "gold", 100, 3),
    ("movies", "gold", 300, 3),
    ("movies", "t/llm", 100, 3),
    ("movies", "t/llm", 300, 3),
    ("tweets", "gold", 50, 3),
    ("tweets", "t/llm", 50, 3),
]


@pytest.mark.unit
def test_a_table_of_exactly_the_grid_passes():
    assert metric_gaps(metrics(FULL), **GRID) == []


@pytest.mark.unit
def test_a_table_of_an_earlier_grid_is_refused_naming_what_differs():
    # An old run: nyt instead of tweets, and two seeds at 300.
    old = FULL[:3] + [("movies", "t/llm", 300, 2), ("nyt", "gold", 50, 3)]
    gaps = metric_gaps(metrics(old), **GRID)
    assert gaps == [
        "missing (dataset/source/size): tweets/gold/50, tweets/t/llm/50",
        "not in the grid: nyt/gold/50",
        "1 rows aggregate [2] seeds, grid.seeds has 3: movies/t/llm/300",
    ]
    with pytest.raises(CoverageError) as err:
        require(gaps, "the metrics tables")
    assert str(err.value).startswith(
        "refusing the metrics tables: not the configured grid (missing (dataset/source/size): "
        "tweets/gold/50, tweets/t/llm/50; not in the grid: nyt/gold/50; "
    )
    assert metric_gaps(metrics(FULL + FULL[:1]), **GRID) == [
        "some (dataset, source, size) appear more than once"
    ]


@pytest.mark.unit
def test_teacher_tables_cover_each_annotated_member():
    rows = pd.DataFrame(
        [
            ("movies", "t", 0, "none"),
            ("movies", "t", 1, "none"),
            ("movies", "t", 0, "prior"),
            ("movies", "u", 0, "none"),
        ],
        columns=["dataset", "teacher", "member", "calibration"],
    )
    assert teacher_gaps(rows, ["movies"], {"t": [0, 1], "u": [0]}) == []
    assert teacher_gaps(rows, ["movies", "tweets"], {"t": [0], "u": [0]}) == [
        "missing (dataset/teacher/member): tweets/t/0, tweets/u/0",
        "not in the grid: movies/t/1",
    ]


@pytest.mark.e2e
def test_summarise_refuses_metrics_of_an_earlier_grid(tmp_path):
    """Tables left by a two-seed run, read by `summarise` of the default's five seeds (with
    only `summarise` allowed, Snakemake takes the existing tables, as it does when it cannot
    plan the jobs that remake them)."""
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    teachers = config["grid"]["teachers"]
    sources = ["gold", *(f"{t}/llm" for t in teachers)]
    sources += ["qwen2.5-coder-1.5b/entropy25", "qwen2.5-coder-1.5b/calibrated_prior"]
    for d in config["grid"]["datasets"]:
        for s in sources:
            path = tmp_path / f"results/metrics/{d}/{s}.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            rows = [(d, s, n, 2, 0.8) for n in config["grid"]["sizes"]]
            pd.DataFrame(
                rows, columns=["dataset", "source", "size", "seeds", "f1_mean"]
            ).to_parquet(path)
            (tmp_path / f"results/metrics/{d}/{s}.items.parquet").write_bytes(b"")
        for t in teachers:
            path = tmp_path / f"results/teacher_quality/{d}/{t}.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            pd.DataFrame(
                [(d, t, 0, "none", 0.9)],
                columns=["dataset", "teacher", "member", "calibration", "accuracy"],
            ).to_parquet(path)
    args = ["-d", str(tmp_path), "--configfile", str(ROOT / "config.yaml")]
    res = snakemake(
        "results/tables/summary.csv",
        "--cores",
        "1",
        "--allowed-rules",
        "summarise",
        *args,
        check=False,
    )
    assert res.returncode != 0
    log = (tmp_path / "logs/artefacts/summarise.log").read_text()
    assert "refusing the metrics tables (results/metrics/): not the configured grid (20 rows" in log
    assert "aggregate [2] seeds, grid.seeds has 5" in log
    assert not (tmp_path / "results/tables/summary.csv").exists()
