"""Pin each GPU job to its own device(s) on a multi-GPU machine.

Snakemake limits how many GPU jobs run at once (`--resources gpu=N`) but does not say which
GPU a job gets. Each job therefore leases devices itself: an exclusive, non-blocking `flock`
on one lock file per device, held until the process exits (a crash or `kill -9` frees it),
then sets CUDA_VISIBLE_DEVICES before torch or vLLM are imported. Under SLURM the scheduler
binds the GPUs it grants, so nothing is done there.

A job that asked for GPUs never falls back to the CPU: `require_gpus` (called where torch or
vLLM picks its device, also in a vLLM worker process) stops it when CUDA sees no device, as
happens with a CUDA 13 build under a CUDA 12 driver or a CPU-only build on a GPU node.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import tempfile
import time
from pathlib import Path

log = logging.getLogger(__name__)

_held: list = []  # open lock files: the lease lasts as long as the process

# What the job asked for, passed on to child processes (a vLLM worker) through the environment.
GPUS_ASKED = "LABELRISK_GPUS"
JOB_NAME = "LABELRISK_JOB"

# Oldest Linux driver each CUDA major version of a build runs on (NVIDIA's CUDA release notes:
# 13.x needs the R580 driver; 12.x runs from 525.60.13 on through minor-version compatibility).
DRIVER_FLOOR = {13: "580.65.06", 12: "525.60.13"}

# The newest CUDA each driver branch supports natively (NVIDIA's CUDA toolkit/driver table). A
# build for a newer CUDA 12.x still runs through minor-version compatibility, except kernels
# shipped as PTX only, which the driver cannot JIT-compile ("the provided PTX was compiled with
# an unsupported toolchain") unless the CUDA forward-compatibility package is installed.
DRIVER_CUDA = {525: "12.0", 530: "12.1", 535: "12.2", 545: "12.3", 550: "12.4", 555: "12.5"}
DRIVER_CUDA |= {560: "12.6", 565: "12.7", 570: "12.8", 575: "12.9", 580: "13.0"}


class DeviceError(RuntimeError):
    pass


def machine_gpus(environ=os.environ, dev: Path = Path("/dev")) -> list[str]:
    """GPU ids this process may use: those of CUDA_VISIBLE_DEVICES, else one per /dev/nvidiaN."""
    given = environ.get("CUDA_VISIBLE_DEVICES")
    if given is not None:
        return [d for d in given.split(",") if d.strip()]
    names = [p.name[len("nvidia") :] for p in dev.glob("nvidia[0-9]*")]
    return sorted((n for n in names if n.isdigit()), key=int)


def lock_dir() -> Path:
    """Machine-wide, so that several workflow runs on one machine share the devices."""
    default = Path(tempfile.gettempdir()) / "labelrisk-gpu-locks"
    return Path(os.environ.get("LABELRISK_GPU_LOCKS", default))


def _try_lock(path: Path):
    f = open(path, "a+")  # noqa: SIM115 - kept open while the lease lasts
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.close()
        return None
    return f


def lease_gpus(
    n: int,
    devices: list[str] | None = None,
    locks: Path | None = None,
    wait: float = 600,
    poll: float = 1.0,
    environ=os.environ,
    job: str = "",
) -> list[str]:
    """Lease `n` free devices for this process and make only them visible; returns their ids.

    n = 0 hides every GPU from the job (so a CPU job cannot land on a leased device). Waits up
    to `wait` seconds for devices held by other processes, then raises. `n` and `job` (a name
    for messages) are recorded in the environment for `require_gpus`.
    """
    environ[GPUS_ASKED] = str(n)
    if job:
        environ[JOB_NAME] = job
    if "SLURM_JOB_ID" in environ:
        return [d for d in environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if d]
    devices = machine_gpus(environ) if devices is None else devices
    if n == 0:
        if devices:
            environ["CUDA_VISIBLE_DEVICES"] = ""
        return []
    if n > len(devices):
        raise DeviceError(
            f"{job or 'the job'} asks for {n} GPU(s); this machine offers {devices or 'none'}"
        )
    locks = lock_dir() if locks is None else locks
    locks.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait
    while True:
        got = []
        for d in devices:
            f = _try_lock(locks / f"gpu{d}.lock")
            if f is not None:
                got.append((d, f))
                if len(got) == n:
                    break
        if len(got) == n:
            _held.extend(f for _, f in got)
            ids = [d for d, _ in got]
            environ["CUDA_VISIBLE_DEVICES"] = ",".join(ids)
            log.info("leased GPU(s) %s", ",".join(ids))
            return ids
        for _, f in got:
            f.close()
        if time.monotonic() > deadline:
            raise DeviceError(
                f"no {n} free GPU(s) of {devices} within {wait:.0f} s (locks: {locks})"
            )
        time.sleep(poll)


def job_name(rule: str, wildcards) -> str:
    """A job as a user finds it in the log: the rule and its wildcards."""
    items = ", ".join(f"{k}={v}" for k, v in dict(wildcards).items())
    return f"{rule} ({items})" if items else rule


def driver_version(proc: Path = Path("/proc/driver/nvidia/version")) -> str | None:
    """The loaded NVIDIA kernel driver's version (e.g. `550.54.15`), None when none is loaded."""
    try:
        text = proc.read_text()
    except OSError:
        return None
    m = re.search(r"Kernel Module(?: for \S+)?\s+(\d+\.\d+(?:\.\d+)?)", text)
    return m.group(1) if m else None


def _version(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in v.split("."))


def driver_too_old(driver: str | None, build_cuda: str | None) -> str | None:
    """Why a torch build for CUDA `build_cuda` (e.g. "13.0") cannot run on `driver`, or None."""
    if not driver or not build_cuda:
        return None
    floor = DRIVER_FLOOR.get(int(build_cuda.split(".")[0]))
    if floor and _version(driver) < _version(floor):
        fix = ""
        if _version(driver) >= _version(DRIVER_FLOOR[12]):
            fix = " (set compute.platform=cuda12: its builds are CUDA 12.4)"
        return (
            f"driver {driver} is older than {floor}, the oldest that runs CUDA {build_cuda} "
            f"builds{fix}"
        )
    return None


def driver_cuda(driver: str) -> str | None:
    """The newest CUDA version driver `driver` supports natively, None if older than 525."""
    branches = [b for b in DRIVER_CUDA if b <= _version(driver)[0]]
    return DRIVER_CUDA[max(branches)] if branches else None


def ptx_risk(driver: str | None, build_cuda: str | None) -> str | None:
    """A build newer than the driver's own CUDA: what fails (PTX-only kernels) and the fix."""
    native = driver_cuda(driver) if driver else None
    if not native or not build_cuda or _version(build_cuda) <= _version(native):
        return None
    return (
        f"driver {driver} supports CUDA {native} natively, the build is CUDA {build_cuda}: "
        "kernels shipped as PTX only fail with 'the provided PTX was compiled with an "
        f"unsupported toolchain'; install the CUDA {build_cuda} forward-compatibility package "
        "(cuda-compat, data-centre GPUs) and put its lib on LD_LIBRARY_PATH, or update the driver"
    )


def cuda_status(torch=None, proc: Path = Path("/proc/driver/nvidia/version")) -> dict:
    """Devices CUDA sees, the driver and the CUDA version torch was built for."""
    if torch is None:
        import torch
    build = torch.version.cuda
    count = torch.cuda.device_count() if build else 0
    driver = driver_version(proc)
    return {
        "devices": count,
        "names": [torch.cuda.get_device_name(i) for i in range(count)],
        "bf16": bool(count and torch.cuda.is_bf16_supported()),
        "driver": driver,
        "torch": torch.__version__,
        "build_cuda": build,
        "why": driver_too_old(driver, build),
        "ptx": ptx_risk(driver, build),
    }


def no_device_reason(status: dict) -> str:
    """One line saying why CUDA sees no device."""
    driver = status["driver"] or "no NVIDIA driver loaded"
    build = f"built for CUDA {status['build_cuda']}" if status["build_cuda"] else "a CPU-only build"
    hint = f"; {status['why']}" if status["why"] else ""
    return f"no CUDA device (torch {status['torch']}, {build}; driver: {driver}{hint})"


def require_gpus(environ=os.environ, status=None) -> None:
    """Stop a job that asked for GPUs (`lease_gpus`) when CUDA sees none: it would otherwise
    run for days on the CPU, or until the cluster kills it."""
    asked = int(environ.get(GPUS_ASKED) or 0)
    if asked == 0:
        return
    status = cuda_status() if status is None else status
    if status["devices"] == 0:
        job = environ.get(JOB_NAME) or "this job"
        raise DeviceError(
            f"{job} asks for {asked} GPU(s) but sees {status['devices']}: "
            f"{no_device_reason(status)}; CUDA_VISIBLE_DEVICES="
            f"{environ.get('CUDA_VISIBLE_DEVICES', '(unset)')!r}. Not falling back to the CPU."
        )


def native_bf16(cpuinfo: str | None = None) -> bool:
    """Whether this CPU computes bfloat16 in hardware (AVX512-BF16 or AMX). Elsewhere torch
    emulates it, several times slower than float32 (measured: MiniLM training 1.4 vs 14-19
    examples/s on an AVX2-only CPU)."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            return False
    return re.search(r"\b(avx512_bf16|amx_bf16)\b", cpuinfo) is not None


def resolve_dtype(dtype: str) -> str:
    """`auto`: on a GPU bfloat16 where it computes bf16 (compute capability 8.0 on), else
    float16 (the paper's RTX 8000, V100, T4); on a CPU bfloat16 where native, else float32."""
    if dtype != "auto":
        return dtype
    import torch

    if torch.cuda.is_available():
        return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
    return "bfloat16" if native_bf16() else "float32"


# GPU failures a job's log shows, what they mean and what fixes them (first match wins).
FAILURES = (
    (
        r"CUDA out of memory|OutOfMemoryError|No available memory for the cache blocks",
        "GPU out of memory",
        "lower the teacher's vllm.gpu_memory_utilization (other processes hold GPU memory) or "
        "vllm.max_model_len (the KV cache of one sequence), or give the job a larger GPU; for "
        "students, lower training.train_batch_size. More host memory (a retry) does not help",
    ),
    (
        r"provided PTX was compiled with an unsupported toolchain",
        "the CUDA build is newer than the NVIDIA driver (PTX it cannot compile)",
        "install the CUDA forward-compatibility package (cuda-compat) matching the build and put "
        "its lib on LD_LIBRARY_PATH, or use an older platform (compute.platform=cuda12), or "
        "update the driver",
    ),
)


def explain_failure(text: str) -> str | None:
    """`what happened: what fixes it` for a known GPU failure in `text` (a log), else None."""
    for pattern, what, fix in FAILURES:
        if re.search(pattern, text):
            return f"{what}: {fix}"
    return None
