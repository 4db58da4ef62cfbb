"""Build the teacher a config entry names (vLLM runs apart, see labelrisk.vllm_worker)."""

from __future__ import annotations

BACKENDS = ("transformers", "vllm", "openai")


def openai_options(teacher_cfg: dict) -> dict:
    """OpenAITeacher keyword arguments from a teacher's config entry (schema defaults filled)."""
    return dict(teacher_cfg.get("openai") or {})


def open_teacher(teacher_cfg: dict, model_dir: str, threads: int | None = None):
    """The in-process teacher for a config entry: transformers or an OpenAI-compatible server."""
    backend = teacher_cfg.get("backend", "transformers")
    if backend == "transformers":
        from .teacher import TransformersTeacher

        return TransformersTeacher(model_dir, teacher_cfg.get("dtype", "bfloat16"), threads)
    if backend == "openai":
        from .teacher_openai import OpenAITeacher

        return OpenAITeacher(model_dir, **openai_options(teacher_cfg))
    if backend == "vllm":
        from .teacher_vllm import VllmTeacher
        from .vllm_worker import vllm_options

        return VllmTeacher(model_dir, **vllm_options(teacher_cfg))
    raise ValueError(f"unknown teacher backend {backend!r}; one of {BACKENDS}")
