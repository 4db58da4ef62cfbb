"""What the annotation rules read of the config, per wildcard (kept out of the rule file)."""

from __future__ import annotations

from labelrisk.teachers import backends
from labelrisk.teachers.registry import teacher_params


def teacher_folder(config: dict, teacher: str) -> str | list:
    """The teacher's model folder; none for a chat teacher (its server holds the model)."""
    if not backends.of(config["teachers"][teacher]).folder:
        return []
    return f"resources/teachers/{teacher}"


def prompt_files(config: dict, dataset: str) -> list[str]:
    """A dataset's prompt template and demonstrations files: editing one re-runs its prompts."""
    spec = config["datasets"][dataset].get("prompt") or {}
    return [spec[k] for k in ("template", "demonstrations") if spec.get(k)]


def prompt_params(config: dict, dataset: str) -> dict:
    """What of a dataset's entry the prompt reads."""
    entry = config["datasets"][dataset]
    return {k: entry.get(k) for k in ("task", "labels", "prompt")}


def teacher_entry(config: dict, teacher: str) -> dict:
    return teacher_params(config["teachers"][teacher])
