"""Run one annotation or content-free job with the teacher its config entry names."""

from __future__ import annotations

from pathlib import Path

from labelrisk.annotation.job import Job, run
from labelrisk.teachers import backends
from labelrisk.teachers.registry import open_teacher


def run_job(job: Job, threads: int, log_file: str) -> None:
    """A backend that runs in its own process (vLLM) in a worker under its own interpreter (its
    environment), the rest in-process."""
    if backends.of(job.teacher).own_process:
        from labelrisk.annotation.vllm_worker import launch

        python = (job.teacher.get("vllm") or {}).get("python")
        launch(job, Path(job.journal) / f"{job.kind}.json", python, threads, log_file)
        return
    run(job, open_teacher(job.teacher, job.teacher_dir, threads, job.cache))
