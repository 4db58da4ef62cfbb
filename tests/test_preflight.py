"""`snakemake preflight` on this CPU machine, each check's line, and a GPU training job that
stops at once when CUDA sees no device."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT, WORK
from labelrisk.preflight import Check, cuda_check, disk_check, student_check

STAND_IN = ROOT / "tests" / "data" / "paper" / "cc_muller.csv"


def run(args, cwd, env=None):
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), *args]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)


@pytest.mark.e2e
def test_preflight_on_a_cpu_machine_fails_first_on_cuda(tmp_path):
    saved = tmp_path / "resources/downloads/manifestos/cc_muller.csv"
    saved.parent.mkdir(parents=True)
    shutil.copy(STAND_IN, saved)
    res = run(
        ["preflight", "--cores", "1", "--configfile", str(ROOT / "config/paper.yaml")], tmp_path
    )
    assert res.returncode != 0
    lines = [ln for ln in res.stdout.splitlines() if ln[:4] in ("ok  ", "FAIL", "skip")]
    failing = [ln for ln in lines if ln.startswith("FAIL")]
    assert failing[0].startswith("FAIL  cuda     no CUDA device (torch ")
    assert [ln.split()[0] for ln in lines] == ["FAIL", "ok", "skip", "skip", "skip"]
    assert "teacher qwen2.5-7b needs CUDA" in lines[3]
    # Nothing was downloaded: the machine check comes first.
    assert not (tmp_path / "resources" / "teachers").exists()


def status(devices, bf16=False):
    return {
        "devices": devices,
        "names": ["NVIDIA H100 80GB HBM3"] * devices,
        "bf16": bf16,
        "driver": "580.82.07",
        "torch": "2.13.0",
        "build_cuda": "13.0",
        "why": None,
    }


@pytest.mark.unit
def test_cuda_check_lines():
    assert cuda_check(0).line() == "skip  cuda     no job of this config asks for a GPU"
    ok = cuda_check(1, status(2, bf16=True))
    assert ok.status == "ok" and ok.detail.startswith("2 device(s): NVIDIA H100 80GB HBM3, ")
    assert "driver 580.82.07, torch 2.13.0 (CUDA 13.0); bf16" in ok.detail
    assert "no bf16 (float16 is used)" in cuda_check(1, status(1)).detail
    assert cuda_check(1, status(0)).status == "FAIL"


@pytest.mark.unit
def test_disk_check(tmp_path):
    assert disk_check({}, tmp_path / "resources").status == "ok"
    local = {"students/x": {"kind": "local", "path": "/models/x"}}
    c = disk_check(local, tmp_path / "resources", free=5 * 10**9)
    assert c == Check(
        "disk",
        "ok",
        f"5.0 GB free in {tmp_path}; 0.0 GB for 0 model(s) to download; size not known of "
        "students/x (Hub unreachable or not a Hub model)",
    )


@pytest.mark.e2e
def test_one_training_step_and_its_refusal_without_cuda(models, tmp_path, monkeypatch):
    training = {"mixed_precision": True}
    ok = student_check(str(models["student"]), training, tmp_path / "w")
    assert ok.status == "ok" and ok.detail.startswith("one training step on the CPU")
    # A job that asked for a GPU (as lease_gpus records it) stops before training.
    monkeypatch.setenv("LABELRISK_GPUS", "1")
    monkeypatch.setenv("LABELRISK_JOB", "preflight_student")
    fail = student_check(str(models["student"]), training, tmp_path / "w")
    assert fail.status == "FAIL"
    assert fail.detail.startswith("DeviceError: preflight_student asks for 1 GPU(s) but sees 0:")


@pytest.mark.e2e
def test_a_gpu_training_job_without_cuda_stops_at_once(models, tmp_path):
    """`compute.train.gpu: 1` on this CPU machine, a device id given (as SLURM or a lease
    gives it): the training job stops with the device count instead of training on the CPU."""
    (tmp_path / "resources").symlink_to(WORK / "resources", target_is_directory=True)
    target = "results/runs/movies/gold/seed1.parquet"  # runs_per_job: seed
    gpu = tmp_path / "gpu.yaml"
    gpu.write_text("compute:\n  train: {gpu: 1}\n")
    configs = [ROOT / "config.yaml", ROOT / "tests/data/tiny_config.yaml", gpu]
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="0")
    args = [target, "--cores", "2", "--resources", "gpu=1", "--configfile", *map(str, configs)]
    res = run(args, tmp_path, env)
    log = res.stdout + res.stderr
    assert res.returncode != 0
    assert "Error in rule train_student" in log
    assert "asks for 1 GPU(s) but sees 0: no CUDA device" in log
    assert "Not falling back to the CPU" in log
