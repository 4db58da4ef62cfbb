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
from labelrisk.devices import explain_failure, require_gpus
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
        known = explain_failure(Path(log_file).read_text(errors="replace")[-20000:])
        hint = known or (
            f"is vLLM installed for {cmd[0]}? Set the teacher's vllm.python, or use --sdm conda"
        )
        raise RuntimeError(f"vLLM worker exited with {res.returncode} (see {log_file}); {hint}")


def main(job_file: str) -> None:
    logging.basicConfig(level=logging.INFO)
    require_gpus()  # never load a GPU job's teacher on the CPU
    job = Job.from_json(Path(job_file).read_text())
    teacher = open_teacher(job.teacher, job.teacher_dir)
    from labelrisk.annotation.job import run

    run(job, teacher)


if __name__ == "__main__":
    main(sys.argv[1])
