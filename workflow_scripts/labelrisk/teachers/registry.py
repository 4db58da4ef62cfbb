"""Build the teacher a config entry names, through its backend's descriptor
(labelrisk.teachers.backends); vLLM runs apart, in labelrisk.annotation.vllm_worker."""

from __future__ import annotations

from labelrisk.devices import resolve_dtype
from labelrisk.teachers import backends


def backend_of(teacher_cfg: dict) -> str:
    return backends.of(teacher_cfg).name


def teacher_params(teacher_cfg: dict) -> dict:
    """A teacher's entry with only its own backend's settings, so that another backend's
    defaults never enter (and never re-run) its annotations."""
    other = backends.option_blocks() - set(backends.of(teacher_cfg).blocks())
    return {k: v for k, v in teacher_cfg.items() if k not in other}


def vllm_options(teacher_cfg: dict) -> dict:
    """VllmTeacher keyword arguments from a teacher's config entry (schema defaults filled)."""
    v = dict(teacher_cfg.get("vllm") or {})
    v.pop("python", None)
    return {"dtype": resolve_dtype(teacher_cfg.get("dtype", "auto")), **v}


def open_teacher(
    teacher_cfg: dict, model_dir: str | None, threads: int | None = None, cache: str | None = None
) -> backends.Teacher:
    """The teacher for a config entry; `cache` is the server teachers' answer cache."""
    return backends.of(teacher_cfg).open(teacher_cfg, model_dir, threads, cache)


# What each descriptor's `opens` names: (teacher entry, model folder, threads, answer cache).
def open_transformers(teacher_cfg, model_dir, threads, cache):
    from labelrisk.teachers.transformers_backend import TransformersTeacher

    return TransformersTeacher(model_dir, resolve_dtype(teacher_cfg.get("dtype", "auto")), threads)


def open_vllm(teacher_cfg, model_dir, threads, cache):
    from labelrisk.teachers.vllm_backend import VllmTeacher

    return VllmTeacher(model_dir, **vllm_options(teacher_cfg))


def open_openai(teacher_cfg, model_dir, threads, cache):
    from labelrisk.teachers.openai_backend import OpenAITeacher

    return OpenAITeacher(model_dir, teacher_cfg.get("openai") or {}, cache)


def open_chat(teacher_cfg, model_dir, threads, cache):
    from labelrisk.teachers.chat_backend import ChatTeacher

    return ChatTeacher(teacher_cfg.get("openai") or {}, cache)


def open_batch(teacher_cfg, model_dir, threads, cache):
    from labelrisk.teachers.batch_backend import BatchChatTeacher

    return BatchChatTeacher(teacher_cfg.get("openai") or {}, teacher_cfg.get("batch"), cache)
