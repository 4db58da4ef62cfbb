"""The workflow's plan in dry runs: which jobs the default and the extended grid make."""

import re

import pytest

from conftest import ROOT, snakemake

pytestmark = pytest.mark.dag


def test_dry_run_plans_one_annotation_per_member(tmp_path):
    res = snakemake("-n", "-d", str(tmp_path), "--configfile", str(ROOT / "config.yaml"))
    jobs = dict(re.findall(r"^(\w+)\s+(\d+)$", res.stdout, flags=re.M))
    # datasets x teachers, member 0 each (the ensemble, which reads all members, is extended's)
    assert jobs["annotate"] == str(2 * 2)
    assert jobs["train_student"] == jobs["label_sets"] == str(2 * 5 * 5)  # runs_per_job: seed
    assert "embed" not in jobs  # no filter of the default reads embeddings
    assert jobs["fetch_teacher"] == "2"


def test_dry_run_of_the_extended_grid(tmp_path):
    configs = [str(ROOT / "config.yaml"), str(ROOT / "config" / "extended.yaml")]
    res = snakemake("-n", "-d", str(tmp_path), "--configfile", *configs)
    jobs = dict(re.findall(r"^(\w+)\s+(\d+)$", res.stdout, flags=re.M))
    # 4 datasets x (3 members of the strong teacher + member 0 of the weak one)
    assert jobs["annotate"] == str(4 * (3 + 1))
    assert jobs["train_student"] == str(4 * 12 * 5)  # datasets x sources x seeds
    assert jobs["embed"] == "4"  # once per dataset, shared by every filter, seed and size


@pytest.mark.parametrize(
    "per_job, jobs, name",
    [("run", 2 * 5 * 5 * 2, "n100_seed1"), ("seed", 2 * 5 * 5, "seed1"), ("source", 2 * 5, "all")],
)
def test_training_jobs_follow_runs_per_job(tmp_path, per_job, jobs, name):
    override = f"training={{runs_per_job: {per_job}}}"
    config = ["--configfile", str(ROOT / "config.yaml"), "--config", override]
    res = snakemake("-n", "-d", str(tmp_path), *config)
    planned = dict(re.findall(r"^(\w+)\s+(\d+)$", res.stdout, flags=re.M))
    # datasets x sources (x seeds (x sizes)); a label-set job per training job
    assert planned["train_student"] == planned["label_sets"] == str(jobs)
    assert f"results/runs/movies/gold/{name}.parquet" in res.stdout
    assert f"results/label_sets/movies/gold/{name}.parquet" in res.stdout
