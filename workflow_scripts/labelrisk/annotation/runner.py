"""Run one annotation or content-free job with the teacher its config entry names."""

from __future__ import annotations

from pathlib import Path

from labelrisk.annotation.job import Job, run
from labelrisk.teachers.registry import backend_of, open_teacher


def run_job(job: Job, threads: int, log_file: str) -> None:
    """vLLM in a worker under its own interpreter (its environment), the rest in-process."""
    if backend_of(job.teacher) == "vllm":
        from labelrisk.annotation.vllm_worker import launch

        python = (job.teacher.get("vllm") or {}).get("python")
        launch(job, Path(job.journal) / f"{job.kind}.json", python, threads, log_file)
        return
    run(job, open_teacher(job.teacher, job.teacher_dir, threads, job.cache))
