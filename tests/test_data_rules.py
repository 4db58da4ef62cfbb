"""The data rules on a user's local table, with malformed rows counted, not silently changed."""

import json
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import ROOT, snakemake

ROWS = [
    ("a1", "A warm, funny film.", "positive"),
    ("a2", "", "negative"),  # empty text
    ("a3", "Dreadful.", "sideways"),  # unknown label
    ("a3", "Dreadful again.", "negative"),  # duplicate id
    ("a4", "Flat and forgettable.", "negative"),
] + [(f"b{i}", f"review number {i}", "positive" if i % 2 else "negative") for i in range(40)]


def local_config(tmp_path, on_bad_rows="drop"):
    table = tmp_path / "reviews.csv"
    pd.DataFrame(ROWS, columns=["rid", "body", "sentiment"]).to_csv(table, index=False)
    cfg = {
        "datasets": {
            "mine": {
                "task": "Classify reviews.",
                "labels": ["negative", "positive"],
                "origin": {
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


@pytest.mark.e2e
def test_local_table_is_read_checked_and_split(tmp_path):
    snakemake("results/data/mine/pool.parquet", "--cores", "1", *local_config(tmp_path))
    rows = json.loads((tmp_path / "results/data/mine/rows.json").read_text())
    assert rows["read"] == 45 and rows["kept"] == 42
    assert rows["dropped"] == {
        "merged_rows": 0,
        "no_id": 0,
        "no_text": 1,
        "no_label": 0,
        "unknown_label": 1,
        "duplicate_id": 1,
    }
    log = (tmp_path / "logs/data/fetch_mine.log").read_text()
    assert "dropped 1 rows: unknown_label" in log
    split = json.loads((tmp_path / "results/data/mine/split.json").read_text())
    assert [split[k]["rows"] for k in ("pool", "val", "test")] == [16, 8, 8]


@pytest.mark.e2e
def test_strict_mode_stops_on_bad_rows(tmp_path):
    res = snakemake(
        "results/data/mine/rows.json", "--cores", "1", *local_config(tmp_path, "error"), check=False
    )
    assert res.returncode != 0
    log = (tmp_path / "logs/data/fetch_mine.log").read_text()
    assert "3 malformed rows" in log


def jobs_of(dry_run_stdout: str) -> dict[str, int]:
    """Job counts of a dry run's table (`job  count` lines)."""
    rows = re.findall(r"^(\w+)\s+(\d+)$", dry_run_stdout, flags=re.M)
    return {job: int(n) for job, n in rows if job != "total"}


@pytest.mark.e2e
def test_editing_a_local_table_reruns_the_split_and_everything_after_it(tmp_path):
    args = local_config(tmp_path)
    cfg = yaml.safe_load(Path(args[-1]).read_text())
    cfg["grid"]["datasets"] = ["mine"]
    Path(args[-1]).write_text(yaml.safe_dump(cfg))
    gold = "results/label_sets/mine/gold/seed1.parquet"  # runs_per_job: seed
    snakemake(gold, "--cores", "1", *args)
    assert "Nothing to be done" in snakemake(gold, "-n", *args).stdout
    table = tmp_path / "reviews.csv"
    df = pd.read_csv(table)
    flip = {"positive": "negative", "negative": "positive"}
    df["sentiment"] = df["sentiment"].map(lambda v: flip.get(v, v))
    df.to_csv(table, index=False)
    jobs = jobs_of(snakemake(gold, "-n", *args).stdout)
    assert jobs == {"fetch_dataset": 1, "split_dataset": 1, "label_sets": 1}


@pytest.mark.dag
def test_a_missing_local_table_stops_the_dry_run(tmp_path):
    args = local_config(tmp_path)
    (tmp_path / "reviews.csv").unlink()
    res = snakemake("results/data/mine/split.json", "-n", *args, check=False)
    assert res.returncode != 0
    out = res.stdout + res.stderr
    assert "MissingInputException" in out and str(tmp_path / "reviews.csv") in out


@pytest.mark.e2e
def test_a_local_model_folder_is_an_input_of_its_resource_rule(tmp_path):
    folder = tmp_path / "my-encoder"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    (folder / "model.safetensors").write_bytes(b"weights")
    cfg = {
        "students": {"mine-enc": {"origin": {"kind": "local", "path": str(folder)}}},
    }
    (tmp_path / "m.yaml").write_text(yaml.safe_dump(cfg))
    args = [
        "-d",
        str(tmp_path),
        "--configfile",
        str(ROOT / "config.yaml"),
        str(tmp_path / "m.yaml"),
    ]
    target = "resources/students/mine-enc"
    snakemake(target, "--cores", "1", *args)
    assert (tmp_path / target).resolve() == folder.resolve()
    assert "Nothing to be done" in snakemake(target, "-n", *args).stdout
    (folder / "model.safetensors").write_bytes(b"other weights")
    assert jobs_of(snakemake(target, "-n", *args).stdout) == {"fetch_student": 1}
    (folder / "model.safetensors").unlink()
    (folder / "tokenizer.json").write_text("{}")
    assert jobs_of(snakemake(target, "-n", *args).stdout) == {"fetch_student": 1}


@pytest.mark.e2e
def test_a_dataset_too_small_for_the_splits_stops_with_one_message(tmp_path):
    args = local_config(tmp_path)
    cfg = yaml.safe_load(Path(args[-1]).read_text())
    cfg["splits"] = {"pool_size": 32, "val_size": 8, "test_size": 8}
    cfg["grid"]["sizes"] = [8, 32]
    Path(args[-1]).write_text(yaml.safe_dump(cfg))
    res = snakemake("results/data/mine/split.json", "--cores", "1", *args, check=False)
    assert res.returncode != 0
    log = (tmp_path / "logs/data/split_mine.log").read_text()
    assert (
        "dataset 'mine' has 42 usable rows, too few for the config: splits.test_size 8 + "
        "splits.val_size 8 + a training pool of at least 32 (its largest training size) = 48 rows"
    ) in log


@pytest.mark.e2e
def test_a_non_utf8_table_names_the_dataset_path_and_reason(tmp_path):
    args = local_config(tmp_path)
    table = tmp_path / "reviews.csv"
    table.write_bytes(table.read_bytes().replace(b"A warm", "A w\u00e4rm".encode("latin-1")))
    res = snakemake("results/data/mine/rows.json", "--cores", "1", *args, check=False)
    assert res.returncode != 0
    log = (tmp_path / "logs/data/fetch_mine.log").read_text()
    assert f"dataset 'mine': cannot read {table}: not UTF-8 text" in log


def with_rows(args, rows, **dataset):
    """The local config of `local_config` with other rows (and dataset settings)."""
    cfg_path = Path(args[-1])
    cfg = yaml.safe_load(cfg_path.read_text())
    table = Path(cfg["datasets"]["mine"]["origin"]["path"])
    pd.DataFrame(rows, columns=["rid", "body", "sentiment"]).to_csv(table, index=False)
    cfg["datasets"]["mine"].update(dataset)
    cfg_path.write_text(yaml.safe_dump(cfg))
    return args


@pytest.mark.e2e
def test_unknown_label_values_are_named_on_the_console_and_in_rows_json(tmp_path):
    res = snakemake("results/data/mine/rows.json", "--cores", "1", *local_config(tmp_path))
    rows = json.loads((tmp_path / "results/data/mine/rows.json").read_text())
    assert rows["unknown_labels"] == {"sideways": 1}
    assert (
        "dataset 'mine': dropped 3 of 45 rows (no_text 1, unknown_label 1, duplicate_id 1; "
        "unknown label values: 'sideways' 1)"
    ) in res.stderr


@pytest.mark.e2e
def test_a_misspelt_class_stops_naming_it_and_the_values_seen(tmp_path):
    spelt = [(i, t, "Positive" if lab == "positive" else lab) for i, t, lab in ROWS]
    args = with_rows(local_config(tmp_path), spelt)
    res = snakemake("results/data/mine/split.json", "--cores", "1", *args, check=False)
    assert res.returncode != 0
    log = (tmp_path / "logs/data/fetch_mine.log").read_text()
    assert (
        "dataset 'mine': class 'positive' has no rows ('Positive' is not 'positive': fix the "
        "labels, or map it in origin.label_map). Label values in the source, matched to the "
        "labels by name: 'negative' 23, 'Positive' 21, 'sideways' 1"
    ) in log
    assert not (tmp_path / "results/data/mine/pool.parquet").exists()


@pytest.mark.e2e
def test_a_class_keep_share_that_empties_a_class_stops(tmp_path):
    args = with_rows(local_config(tmp_path), ROWS, class_keep={"negative": 0.001})
    res = snakemake("results/data/mine/split.json", "--cores", "1", *args, check=False)
    assert res.returncode != 0
    log = (tmp_path / "logs/data/fetch_mine.log").read_text()
    assert "class 'negative' has no rows left after class_keep {negative: 0.001}" in log


@pytest.mark.e2e
def test_missing_ids_are_counted_and_never_reach_the_splits(tmp_path):
    rows = [("", "no id here", "positive"), (None, "nor here", "negative")] + ROWS[5:]
    args = with_rows(local_config(tmp_path), rows)
    snakemake("results/data/mine/split.json", "--cores", "1", *args)
    report = json.loads((tmp_path / "results/data/mine/rows.json").read_text())
    assert report["dropped"]["no_id"] == 2 and report["kept"] == 40
    ids = pd.concat(
        pd.read_parquet(tmp_path / f"results/data/mine/{p}.parquet")
        for p in ("pool", "val", "test")
    ).id
    assert ids.str.fullmatch(r"b\d+").all()


@pytest.mark.e2e
def test_losing_more_than_the_configured_share_of_rows_stops(tmp_path):
    rows = ROWS + [(f"c{i}", f"text {i}", "Neutral") for i in range(6)]
    args = with_rows(local_config(tmp_path), rows)
    res = snakemake("results/data/mine/rows.json", "--cores", "1", *args, check=False)
    assert res.returncode != 0
    log = (tmp_path / "logs/data/fetch_mine.log").read_text()
    assert (
        "dataset 'mine': 9 of its 51 rows (18%) are malformed (no_text 1, unknown_label 7, "
        "duplicate_id 1; unknown label values: 'Neutral' 6, 'sideways' 1), more than "
        "data.max_dropped_share (0.1)"
    ) in log
    (tmp_path / "share.yaml").write_text("data: {max_dropped_share: 0.2}\n")
    snakemake("results/data/mine/rows.json", "--cores", "1", *args, str(tmp_path / "share.yaml"))
    assert json.loads((tmp_path / "results/data/mine/rows.json").read_text())["kept"] == 42


@pytest.mark.e2e
def test_duplicate_texts_are_dropped_only_when_asked(tmp_path):
    rows = ROWS + [("c1", "review number 3", "negative"), ("c2", "review number 4", "negative")]
    args = with_rows(local_config(tmp_path), rows, drop_duplicate_texts=True)
    snakemake("results/data/mine/rows.json", "--cores", "1", *args)
    report = json.loads((tmp_path / "results/data/mine/rows.json").read_text())
    assert report["dropped"]["duplicate_text"] == 2 and report["kept"] == 42


@pytest.mark.dag
def test_a_missing_local_table_stops_the_dry_run_even_with_old_results(tmp_path):
    """Snakemake would use old results when it cannot plan the job that remakes them."""
    args = local_config(tmp_path)
    cfg = yaml.safe_load(Path(args[-1]).read_text())
    cfg["grid"]["datasets"] = ["mine"]
    Path(args[-1]).write_text(yaml.safe_dump(cfg))
    snakemake("results/data/mine/split.json", "--cores", "1", *args)
    (tmp_path / "reviews.csv").unlink()
    res = snakemake("results/data/mine/pool.parquet", "-n", *args, check=False)
    assert res.returncode != 0
    out = res.stdout + res.stderr
    assert f"datasets.mine.origin.path: {tmp_path / 'reviews.csv'} does not exist" in out


@pytest.mark.e2e
def test_rows_swallowed_by_a_stray_quote_are_named_on_the_console_and_in_rows_json(tmp_path):
    from test_data import stray_quote_csv

    args = local_config(tmp_path)
    cfg = yaml.safe_load(Path(args[-1]).read_text())
    table = stray_quote_csv(Path(cfg["datasets"]["mine"]["origin"]["path"]))
    cfg["datasets"]["mine"]["origin"].update(
        text_column="text", label_column="label", id_column="id"
    )
    Path(args[-1]).write_text(yaml.safe_dump(cfg))
    res = snakemake("results/data/mine/rows.json", "--cores", "1", *args)
    rows = json.loads((tmp_path / "results/data/mine/rows.json").read_text())
    assert rows["read"] == 117 and rows["kept"] == 116 and rows["dropped"]["merged_rows"] == 1
    assert rows["merged_rows"] == "lines 42-45"
    assert "dropped 1 of 117 rows (merged_rows 1; records that swallowed further rows" in res.stderr
    assert (
        f"{table}, lines 42-45: a record holds what reads as further rows"
        in (tmp_path / "logs/data/fetch_mine.log").read_text()
    )
    (tmp_path / "strict.yaml").write_text("data: {on_bad_rows: error}\n")
    res = snakemake(
        "results/data/mine/rows.json",
        "--cores",
        "1",
        "--forceall",
        *args,
        str(tmp_path / "strict.yaml"),
        check=False,
    )
    assert res.returncode != 0
    assert f"{table}, lines 42-45" in (tmp_path / "logs/data/fetch_mine.log").read_text()
