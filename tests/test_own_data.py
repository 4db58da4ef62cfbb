"""The worked example for one's own data (config/own-data.yaml) in dry runs, with a stand-in CSV
and no network: the config stands alone and plans the study it describes."""

import csv
import re

import pytest
import yaml

from conftest import ROOT, snakemake

pytestmark = pytest.mark.dag

EXAMPLE = ROOT / "config" / "own-data.yaml"


def stand_in_csv(work, rows=7000):
    """A CSV in the example's layout: enough rows for test + validation + the largest size."""
    path = work / "data" / "feedback.csv"
    path.parent.mkdir(parents=True)
    labels = ["complaint", "question", "praise"]
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["message", "category"])
        out.writerows([f"message {i}", labels[i % 3]] for i in range(rows))
    # The product's unlabelled messages and new messages to label (`product`, `predict`).
    for name, first in (("feedback_unlabelled.csv", rows), ("new_messages.csv", 2 * rows)):
        with (path.parent / name).open("w", newline="") as f:
            out = csv.writer(f)
            out.writerow(["message"])
            out.writerows([f"message {i}"] for i in range(first, first + 100))
    return path


@pytest.fixture(autouse=True)
def api_key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "not-a-key")  # required by name, never sent here


def dry_run(work, *args):
    res = snakemake("-n", *args, "-d", str(work), "--configfile", str(EXAMPLE))
    return res, dict(re.findall(r"^(\w+)\s+(\d+)$", res.stdout, flags=re.M))


def test_example_plans_its_study(tmp_path):
    stand_in_csv(tmp_path)
    _, jobs = dry_run(tmp_path)
    # 1 dataset; gold, llm, entropy5, entropy25, ensemble, calibrated_prior; 5 seeds
    assert jobs["train_student"] == jobs["label_sets"] == str(6 * 5)
    assert jobs["annotate_chat"] == "3"  # the ensemble reads all three members
    assert jobs["fetch_student"] == "1" and "fetch_teacher" not in jobs  # a server teacher


def test_example_inherits_nothing_from_the_demo(tmp_path):
    stand_in_csv(tmp_path)
    args = ["results/config.yaml", "--cores", "1", "-d", str(tmp_path)]
    snakemake(*args, "--configfile", str(EXAMPLE))
    resolved = yaml.safe_load((tmp_path / "results" / "config.yaml").read_text())
    assert set(resolved["datasets"]) == {"feedback"} and set(resolved["teachers"]) == {
        "gpt-4o-mini"
    }
    # what the example leaves out is the schema's default (the paper's), not the demo's
    assert resolved["training"]["warmup_ratio"] == 0.05
    assert resolved["evaluation"]["calibration_bins"] == 10
    assert resolved["training"]["learning_rate"] == 2.0e-5
    # the demo stays available, named explicitly
    snakemake(*args, "--forceall", "--configfile", str(ROOT / "config.yaml"))
    demo = yaml.safe_load((tmp_path / "results" / "config.yaml").read_text())
    assert demo["training"]["learning_rate"] == 3.0e-4 and "movies" in demo["datasets"]


def test_example_names_the_gold_it_needs(tmp_path):
    stand_in_csv(tmp_path, rows=6000)  # below 2000 + 500 + 4000
    res = snakemake(
        "results/data/feedback/pool.parquet",
        "--cores",
        "1",
        "-d",
        str(tmp_path),
        "--configfile",
        str(EXAMPLE),
        check=False,
    )
    assert res.returncode != 0
    assert "= 6500 rows" in res.stdout + res.stderr


def test_teachers_target_trains_nothing(tmp_path):
    tiny = [str(ROOT / "config.yaml"), str(ROOT / "tests" / "data" / "tiny_config.yaml")]
    res = snakemake("-n", "teachers", "-d", str(tmp_path), "--configfile", *tiny)
    jobs = dict(re.findall(r"^(\w+)\s+(\d+)$", res.stdout, flags=re.M))
    assert {"plan", "teacher_quality", "teacher_summary", "teacher_diagnostics"} <= set(jobs)
    assert jobs["annotate"] == str(2 * 2)  # datasets x members
    assert not {"label_sets", "train_student", "embed", "evaluate_source", "summarise"} & set(jobs)
    assert "fetch_student" not in jobs  # no student is needed for a first look


def test_example_exports_its_chosen_student(tmp_path):
    stand_in_csv(tmp_path)
    _, jobs = dry_run(tmp_path, "export")
    # entropy25 at the largest size, seed 1, after the study's jobs of that source alone (its
    # 5 seeds: the card gives its test metrics over seeds)
    assert jobs["export_student"] == "1" and jobs["train_student"] == "5"
    assert "claims" not in jobs and "summarise" not in jobs


def test_the_teacher_gate_comes_before_every_training_on_teacher_labels(tmp_path):
    stand_in_csv(tmp_path)
    _, jobs = dry_run(tmp_path, "results/runs/feedback/gpt-4o-mini/llm/seed1.parquet")
    assert jobs["teacher_gate"] == "1" and jobs["train_student"] == "1"
    _, jobs = dry_run(tmp_path, "results/runs/feedback/gold/seed1.parquet")
    assert "teacher_gate" not in jobs and "annotate_chat" not in jobs  # gold waits on no teacher
    _, jobs = dry_run(tmp_path, "teachers")
    assert jobs["teacher_gate"] == jobs["gate_summary"] == "1" and "train_student" not in jobs


def test_cpu_example_plans_a_cpu_study(tmp_path):
    stand_in_csv(tmp_path, rows=2200)  # 1000 + 200 + 1000: what the CPU example needs
    cpu = str(ROOT / "config" / "own-data-cpu.yaml")
    res = snakemake("-n", "-d", str(tmp_path), "--configfile", cpu)
    jobs = dict(re.findall(r"^(\w+)\s+(\d+)$", res.stdout, flags=re.M))
    # gold, llm, entropy25, calibrated_prior; 5 seeds; one member, no ensemble
    assert jobs["train_student"] == str(4 * 5) and jobs["annotate_chat"] == "1"
    assert "fetch_teacher" not in jobs and jobs["fetch_student"] == "1"
    snakemake("results/config.yaml", "--cores", "1", "-d", str(tmp_path), "--configfile", cpu)
    resolved = yaml.safe_load((tmp_path / "results" / "config.yaml").read_text())
    training = resolved["training"]
    assert training["learning_rate"] == 3.0e-4 and training["min_steps"] == 40
    assert training["freeze_embeddings"] is True and training["restarts"] == 1
    assert resolved["compute"]["train"]["gpu"] == 0
    assert resolved["students"]["minilm-l6"]["origin"]["kind"] == "pypi"  # no Hub
