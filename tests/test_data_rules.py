"""The data rules on a user's local table, with malformed rows counted, not silently changed."""

import json

import pandas as pd
import yaml

from conftest import ROOT, snakemake

ROWS = [
    ("a1", "A warm, funny film.", "positive"),
    ("a2", "", "negative"),  # empty text
    ("a3", "Dreadful.", "sideways"),  # unknown label
    ("a3", "Dreadful again.", "negative"),  # duplicate id
    ("a4", "Flat and forgettable.", "0"),  # label given by its id
] + [(f"b{i}", f"review number {i}", "positive" if i % 2 else "negative") for i in range(40)]


def local_config(tmp_path, on_bad_rows="drop"):
    table = tmp_path / "reviews.csv"
    pd.DataFrame(ROWS, columns=["rid", "body", "sentiment"]).to_csv(table, index=False)
    cfg = {
        "datasets": {
            "mine": {
                "task": "Classify reviews.",
                "labels": ["negative", "positive"],
                "source": {
                    "kind": "local",
                    "path": str(table),
                    "format": "csv",
                    "text_column": "body",
                    "label_column": "sentiment",
                    "id_column": "rid",
                },
            }
        },
        "data": {"on_bad_rows": on_bad_rows},
        "grid": {"sizes": [8, 16]},
        "splits": {"pool_size": 16, "val_size": 8, "test_size": 8},
    }
    path = tmp_path / "local.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return ["-d", str(tmp_path), "--configfile", str(ROOT / "config.yaml"), str(path)]


def test_local_table_is_read_checked_and_split(tmp_path):
    snakemake("results/data/mine/pool.parquet", "--cores", "1", *local_config(tmp_path))
    rows = json.loads((tmp_path / "results/data/mine/rows.json").read_text())
    assert rows["read"] == 45 and rows["kept"] == 42
    assert rows["dropped"] == {"no_text": 1, "no_label": 0, "unknown_label": 1, "duplicate_id": 1}
    log = (tmp_path / "logs/data/fetch_mine.log").read_text()
    assert "dropped 1 rows: unknown_label" in log
    split = json.loads((tmp_path / "results/data/mine/split.json").read_text())
    assert [split[k]["rows"] for k in ("pool", "val", "test")] == [16, 8, 8]


def test_strict_mode_stops_on_bad_rows(tmp_path):
    res = snakemake(
        "results/data/mine/rows.json", "--cores", "1", *local_config(tmp_path, "error"), check=False
    )
    assert res.returncode != 0
    log = (tmp_path / "logs/data/fetch_mine.log").read_text()
    assert "3 malformed rows" in log
