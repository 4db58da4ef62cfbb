"""Pin each GPU job to its own device(s) on a multi-GPU machine.

Snakemake limits how many GPU jobs run at once (`--resources gpu=N`) but does not say which
GPU a job gets. Each job therefore leases devices itself: an exclusive, non-blocking `flock`
on one lock file per device, held until the process exits (a crash or `kill -9` frees it),
then sets CUDA_VISIBLE_DEVICES before torch or vLLM are imported. Under SLURM the scheduler
binds the GPUs it grants, so nothing is done there.
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
) -> list[str]:
    """Lease `n` free devices for this process and make only them visible; returns their ids.

    n = 0 hides every GPU from the job (so a CPU job cannot land on a leased device). Waits up
    to `wait` seconds for devices held by other processes, then raises.
    """
    if "SLURM_JOB_ID" in environ:
        return [d for d in environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if d]
    devices = machine_gpus(environ) if devices is None else devices
    if n == 0:
        if devices:
            environ["CUDA_VISIBLE_DEVICES"] = ""
        return []
    if n > len(devices):
        raise DeviceError(f"the job asks for {n} GPU(s); this machine offers {devices or 'none'}")
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
    """`auto` is bfloat16 on a GPU or a CPU with native bf16, else float32."""
    if dtype != "auto":
        return dtype
    import torch

    return "bfloat16" if torch.cuda.is_available() or native_bf16() else "float32"
