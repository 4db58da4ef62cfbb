"""Build the teacher a config entry names (vLLM runs apart, see labelrisk.teachers.vllm_worker)."""

from __future__ import annotations

from labelrisk.devices import resolve_dtype

BACKENDS = ("transformers", "vllm", "openai")


def openai_options(teacher_cfg: dict) -> dict:
    """OpenAITeacher keyword arguments from a teacher's config entry (schema defaults filled)."""
    return dict(teacher_cfg.get("openai") or {})


def open_teacher(teacher_cfg: dict, model_dir: str, threads: int | None = None):
    """The in-process teacher for a config entry: transformers or an OpenAI-compatible server."""
    backend = teacher_cfg.get("backend", "transformers")
    if backend == "transformers":
        from labelrisk.teachers.transformers_backend import TransformersTeacher

        dtype = resolve_dtype(teacher_cfg.get("dtype", "auto"))
        return TransformersTeacher(model_dir, dtype, threads)
    if backend == "openai":
        from labelrisk.teachers.openai_backend import OpenAITeacher

        return OpenAITeacher(model_dir, **openai_options(teacher_cfg))
    if backend == "vllm":
        from labelrisk.teachers.vllm_backend import VllmTeacher
        from labelrisk.teachers.vllm_worker import vllm_options

        return VllmTeacher(model_dir, **vllm_options(teacher_cfg))
    raise ValueError(f"unknown teacher backend {backend!r}; one of {BACKENDS}")


def run_job(job, threads: int, log_file: str) -> None:
    """Run one annotation job: vLLM in a worker under its own interpreter, the rest in-process."""
    from pathlib import Path

    if job.teacher.get("backend") == "vllm":
        from labelrisk.teachers.vllm_worker import launch

        python = (job.teacher.get("vllm") or {}).get("python")
        launch(job, Path(job.journal) / "job.json", python, threads, log_file)
        return
    from labelrisk.annotation.job import run

    run(job, open_teacher(job.teacher, job.teacher_dir, threads))
