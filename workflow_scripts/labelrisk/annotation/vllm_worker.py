"""vLLM annotation worker, run in vLLM's environment: `python -m labelrisk.annotation.vllm_worker`.

vLLM starts its engine processes with spawn, which re-imports the main module; the `__main__`
guard keeps that re-import from starting a second job. `launch` is what the rule script calls:
it runs this module under the interpreter of the vLLM environment.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

from labelrisk.annotation.job import Job
from labelrisk.devices import require_gpus
from labelrisk.teachers.registry import open_teacher

PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # the folder holding `labelrisk`


def launch(job: Job, job_file: Path, python: str | None, threads: int, log_file: str) -> None:
    """Run the job in a child process of `python` (default: this interpreter), or raise."""
    job_file.parent.mkdir(parents=True, exist_ok=True)
    job_file.write_text(job.to_json())
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PACKAGE_ROOT), env.get("PYTHONPATH")]))
    # vLLM's CPU backend uses one thread unless told otherwise.
    env["OMP_NUM_THREADS"] = str(threads)
    # Pinning threads to fixed cores backfires on machines shared with other jobs.
    env.setdefault("VLLM_CPU_OMP_THREADS_BIND", "nobind")
    cmd = [
        os.path.expanduser(python) if python else sys.executable,
        "-m",
        "labelrisk.annotation.vllm_worker",
        str(job_file),
    ]
    with open(log_file, "a") as log:
        log.write(f"running: {' '.join(cmd)}\n")
        log.flush()
        res = subprocess.run(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    if res.returncode != 0:
        tail = Path(log_file).read_text(errors="replace")[-20000:]
        raise RuntimeError(
            f"vLLM worker exited with {res.returncode} (see {log_file}): {diagnose(tail, cmd[0])}"
        )


# What a failed worker's log says, and what fixes it (first match wins).
FAILURES = (
    (
        ("CUDA out of memory", "OutOfMemoryError", "No available memory for the cache blocks"),
        "the GPU ran out of memory. Lower the teacher's vllm.max_model_len or raise "
        "vllm.gpu_memory_utilization (the share of the GPU vLLM may take, default 0.9), or "
        "give the job a larger GPU; a retry with more host memory does not help",
    ),
    (
        ("PTX was compiled with an unsupported toolchain", "CUDA_ERROR_UNSUPPORTED_PTX_VERSION"),
        "the NVIDIA driver is older than the CUDA toolkit this vLLM/torch build was compiled "
        "with. Install NVIDIA's forward-compatibility package (cuda-compat-12-x matching the "
        "build, on LD_LIBRARY_PATH), update the driver, or use compute.platform with builds "
        "for an older CUDA (docs/paper-scale.md)",
    ),
    (
        ("No module named 'vllm'", "No module named vllm"),
        "vLLM is not installed for {python}. Set the teacher's vllm.python, or use --sdm conda",
    ),
)


def diagnose(log_tail: str, python: str) -> str:
    """Name the failure a vLLM worker's log shows and the setting that fixes it."""
    for needles, message in FAILURES:
        if any(n in log_tail for n in needles):
            return message.format(python=python)
    return f"is vLLM installed for {python}? Set the teacher's vllm.python, or use --sdm conda"


def main(job_file: str) -> None:
    logging.basicConfig(level=logging.INFO)
    require_gpus()  # never load a GPU job's teacher on the CPU
    job = Job.from_json(Path(job_file).read_text())
    teacher = open_teacher(job.teacher, job.teacher_dir)
    from labelrisk.annotation.job import run

    run(job, teacher)


if __name__ == "__main__":
    main(sys.argv[1])
