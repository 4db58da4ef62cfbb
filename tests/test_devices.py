"""GPU leases: distinct devices for concurrent jobs, waiting, release on exit, CPU jobs hidden."""

import subprocess
import sys
import textwrap
import time

import pytest

from conftest import ROOT
from labelrisk.devices import DeviceError, lease_gpus, machine_gpus, native_bf16, resolve_dtype

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
    assert lease_gpus(0, ["0", "1"], tmp_path, environ=env) == [] and env == {
        "CUDA_VISIBLE_DEVICES": ""
    }
    env = {}
    assert lease_gpus(0, [], tmp_path, environ=env) == [] and env == {}  # a machine without GPUs
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
