"""Build the teacher a config entry names (vLLM runs apart: labelrisk.annotation.vllm_worker)."""

from __future__ import annotations

from labelrisk.devices import resolve_dtype

BACKENDS = ("transformers", "vllm", "openai", "openai_chat")
# Backends that ask a server: no model folder of their own (chat) or only its tokenizer.
SERVER_BACKENDS = ("openai", "openai_chat")
# Backends that read the teacher's folder (resources/teachers/<id>).
FOLDER_BACKENDS = ("transformers", "vllm", "openai")


def backend_of(teacher_cfg: dict) -> str:
    return teacher_cfg.get("backend", "transformers")


def teacher_params(teacher_cfg: dict) -> dict:
    """A teacher's entry with only its own backend's settings, so that another backend's
    defaults never enter (and never re-run) its annotations."""
    own = {"vllm": ("vllm",), "openai": ("openai",), "openai_chat": ("openai",)}
    other = {"vllm", "openai"} - set(own.get(backend_of(teacher_cfg), ()))
    return {k: v for k, v in teacher_cfg.items() if k not in other}


def vllm_options(teacher_cfg: dict) -> dict:
    """VllmTeacher keyword arguments from a teacher's config entry (schema defaults filled)."""
    v = dict(teacher_cfg.get("vllm") or {})
    v.pop("python", None)
    return {"dtype": resolve_dtype(teacher_cfg.get("dtype", "auto")), **v}


def open_teacher(
    teacher_cfg: dict, model_dir: str | None, threads: int | None = None, cache: str | None = None
):
    """The in-process teacher for a config entry; `cache` is the server teachers' answer cache."""
    backend = backend_of(teacher_cfg)
    if backend == "transformers":
        from labelrisk.teachers.transformers_backend import TransformersTeacher

        dtype = resolve_dtype(teacher_cfg.get("dtype", "auto"))
        return TransformersTeacher(model_dir, dtype, threads)
    if backend == "openai":
        from labelrisk.teachers.openai_backend import OpenAITeacher

        return OpenAITeacher(model_dir, teacher_cfg.get("openai") or {}, cache)
    if backend == "openai_chat":
        from labelrisk.teachers.chat_backend import ChatTeacher

        return ChatTeacher(teacher_cfg.get("openai") or {}, cache)
    if backend == "vllm":
        from labelrisk.teachers.vllm_backend import VllmTeacher

        return VllmTeacher(model_dir, **vllm_options(teacher_cfg))
    raise ValueError(f"unknown teacher backend {backend!r}; one of {BACKENDS}")
