"""GPU leases: distinct devices for concurrent jobs, waiting, release on exit, CPU jobs hidden."""

import subprocess
import sys
import textwrap
import time

import pytest

from conftest import ROOT
from labelrisk.devices import (
    DeviceError,
    cuda_status,
    driver_too_old,
    driver_version,
    lease_gpus,
    machine_gpus,
    native_bf16,
    no_device_reason,
    require_gpus,
    resolve_dtype,
)

pytestmark = pytest.mark.unit

HOLDER = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, {scripts!r})
    from labelrisk.devices import lease_gpus
    env = {{}}
    ids = lease_gpus({n}, ["0", "1", "2"], __import__("pathlib").Path({locks!r}), environ=env)
    print(",".join(ids), env["CUDA_VISIBLE_DEVICES"], flush=True)
    time.sleep(60)
    """
)


def hold(tmp_path, n=1):
    """Another job: a process that leases `n` devices and keeps them until killed."""
    code = HOLDER.format(scripts=str(ROOT / "workflow_scripts"), n=n, locks=str(tmp_path))
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline().split()
    return proc, line


def test_concurrent_jobs_get_distinct_devices(tmp_path):
    first, (ids, visible) = hold(tmp_path)
    try:
        assert ids == visible == "0"
        env = {}
        assert lease_gpus(2, ["0", "1", "2"], tmp_path, environ=env) == ["1", "2"]
        assert env["CUDA_VISIBLE_DEVICES"] == "1,2"
    finally:
        first.kill()
        first.wait()


def test_a_killed_job_frees_its_device(tmp_path):
    first, (ids, _) = hold(tmp_path, n=3)
    with pytest.raises(DeviceError, match=r"no 1 free GPU\(s\)"):
        lease_gpus(1, ["0", "1", "2"], tmp_path, wait=0.3, poll=0.1, environ={})
    first.kill()  # like kill -9: the kernel drops the lock
    first.wait()
    start = time.monotonic()
    assert lease_gpus(1, ["0", "1", "2"], tmp_path, wait=5, poll=0.1, environ={}) == ["0"]
    assert time.monotonic() - start < 5


def test_cpu_jobs_see_no_gpu_and_slurm_jobs_are_left_alone(tmp_path):
    env = {}
    assert lease_gpus(0, ["0", "1"], tmp_path, environ=env) == []
    assert env == {"CUDA_VISIBLE_DEVICES": "", "LABELRISK_GPUS": "0"}
    env = {}
    assert lease_gpus(0, [], tmp_path, environ=env) == []
    assert env == {"LABELRISK_GPUS": "0"}  # a machine without GPUs
    env = {"SLURM_JOB_ID": "7", "CUDA_VISIBLE_DEVICES": "3"}
    assert lease_gpus(1, ["0"], tmp_path, environ=env) == ["3"]
    assert env["CUDA_VISIBLE_DEVICES"] == "3"


def test_more_gpus_than_the_machine_has(tmp_path):
    with pytest.raises(DeviceError, match="asks for 2 GPU"):
        lease_gpus(2, ["0"], tmp_path, environ={})


def test_machine_gpus(tmp_path):
    assert machine_gpus({"CUDA_VISIBLE_DEVICES": "2,5"}) == ["2", "5"]
    for name in ["nvidia0", "nvidia1", "nvidia10", "nvidiactl", "nvidia-uvm"]:
        (tmp_path / name).touch()
    assert machine_gpus({}, tmp_path) == ["0", "1", "10"]


def test_native_bf16_reads_the_cpu_flags():
    assert native_bf16("flags\t: fpu avx2 avx512f avx512_bf16 amx_tile")
    assert native_bf16("flags\t: fpu avx2 amx_bf16")
    assert not native_bf16("flags\t: fpu sse4_2 avx2 fma")


def test_auto_dtype_is_float32_on_a_cpu_without_bf16(monkeypatch):
    import labelrisk.devices as devices

    monkeypatch.setattr(devices, "native_bf16", lambda: False)
    assert resolve_dtype("auto") == "float32"
    monkeypatch.setattr(devices, "native_bf16", lambda: True)
    assert resolve_dtype("auto") == "bfloat16"
    assert resolve_dtype("float32") == "float32"


NVIDIA_PROC = (
    "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar  5 22:23:56 UTC 2024\n"
    "GCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n"
)


def test_driver_version_and_its_cuda_floor(tmp_path):
    proc = tmp_path / "version"
    proc.write_text(NVIDIA_PROC)
    assert driver_version(proc) == "550.54.15"
    assert driver_version(tmp_path / "absent") is None  # no driver loaded
    # A CUDA 13 build (torch 2.13.0 from PyPI) needs the R580 driver; CUDA 12 builds run on 550.
    assert "older than 580.65.06" in driver_too_old("550.54.15", "13.0")
    assert driver_too_old("550.54.15", "12.9") is None
    assert driver_too_old("580.82.07", "13.0") is None
    assert driver_too_old(None, "13.0") is None and driver_too_old("550.54.15", None) is None
    assert "set compute.platform=cuda12" in driver_too_old("535.183.01", "13.0")
    assert "cuda12" not in driver_too_old("470.256.02", "13.0")  # too old for CUDA 12 too


def test_ptx_risk_when_the_build_is_newer_than_the_drivers_cuda():
    from labelrisk.devices import driver_cuda, ptx_risk

    assert driver_cuda("535.183.01") == "12.2" and driver_cuda("550.54.15") == "12.4"
    assert driver_cuda("590.10") == "13.0" and driver_cuda("470.256.02") is None
    # vllm-project/vllm#31700: a CUDA 12.9 build on an H100 with driver 550.144.
    why = ptx_risk("550.144.03", "12.9")
    assert "unsupported toolchain" in why and "forward-compatibility" in why
    assert "CUDA 12.4 natively" in why
    assert ptx_risk("535.183.01", "12.4") is not None  # platform cuda12 on driver 535
    assert ptx_risk("550.54.15", "12.4") is None  # platform cuda12 on driver 550
    assert ptx_risk(None, "12.4") is None and ptx_risk("550.54.15", None) is None


def status(devices=0, driver=None, build=None, why=None):
    return {
        "devices": devices,
        "names": [],
        "bf16": False,
        "driver": driver,
        "torch": "2.13.0",
        "build_cuda": build,
        "why": why,
    }


def test_a_gpu_job_without_cuda_stops_naming_itself_and_the_device_count(tmp_path):
    env = {"CUDA_VISIBLE_DEVICES": "0"}  # what SLURM or a lease sets, whatever CUDA then finds
    lease_gpus(1, ["0"], tmp_path, environ=env, job="train_student (dataset=imdb, seed=1)")
    with pytest.raises(DeviceError) as e:
        require_gpus(env, status(driver="550.54.15", build="13.0", why="driver 550 is too old"))
    msg = str(e.value)
    assert msg.startswith("train_student (dataset=imdb, seed=1) asks for 1 GPU(s) but sees 0:")
    assert "no CUDA device (torch 2.13.0, built for CUDA 13.0; driver: 550.54.15" in msg
    assert "driver 550 is too old" in msg and "Not falling back to the CPU" in msg


def test_cpu_jobs_and_jobs_that_see_their_gpu_pass(tmp_path):
    require_gpus({}, status())  # never leased: a test or a CPU job
    env = {}
    lease_gpus(0, [], tmp_path, environ=env)
    require_gpus(env, status())
    env = {"SLURM_JOB_ID": "3", "CUDA_VISIBLE_DEVICES": "0"}
    lease_gpus(1, None, tmp_path, environ=env)
    require_gpus(env, status(devices=1, driver="580.82.07", build="13.0"))


def test_this_machine_has_no_cuda_device():
    s = cuda_status()
    assert s["devices"] == 0
    assert no_device_reason(s).startswith("no CUDA device (torch ")


def test_auto_dtype_on_gpus_is_the_paper_fp16_where_bf16_is_missing(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)  # RTX 8000
    assert resolve_dtype("auto") == "float16"
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)  # A100, H100
    assert resolve_dtype("auto") == "bfloat16"


@pytest.mark.parametrize(
    "log, what",
    [
        # torch's and vLLM's words for the same thing
        ("torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB", "out of memory"),
        ("ValueError: No available memory for the cache blocks. Try increasing", "out of memory"),
        ("OutOfMemoryError: 24 items, seed 3", "out of memory"),
        (
            "RuntimeError: CUDA error: the provided PTX was compiled with an unsupported "
            "toolchain.",
            "newer than the NVIDIA driver",
        ),
    ],
)
def test_known_gpu_failures_are_named_with_their_fix(log, what):
    from labelrisk.devices import explain_failure

    said = explain_failure("INFO loading weights\n" + log + "\n")
    assert what in said
    if "memory" in what:
        assert "vllm.gpu_memory_utilization" in said and "vllm.max_model_len" in said
        assert "training.train_batch_size" in said
    else:
        assert "cuda-compat" in said and "compute.platform=cuda12" in said


def test_other_failures_are_not_guessed():
    from labelrisk.devices import explain_failure

    assert explain_failure("ModuleNotFoundError: No module named 'vllm'") is None
    assert explain_failure("") is None
