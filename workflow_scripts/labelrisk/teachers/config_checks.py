"""Config errors of server teachers, found before any job: secrets where names belong, labels a
chat teacher's answer could not tell apart, answer-only settings that cannot work. Messages
name the key and never show a value that may be a secret."""

from __future__ import annotations

from labelrisk.teachers import backends
from labelrisk.teachers.answers import label_words_error
from labelrisk.teachers.keys import base_url_error, key_env_error


def server_teacher_errors(config: dict) -> list[str]:
    errors: list[str] = []
    chat = False
    for name, teacher in (config.get("teachers") or {}).items():
        b = backends.of(teacher)
        if not b.server:
            continue
        backend = b.name
        # A server backend with no model folder reads chat messages (label words or ids).
        chat |= not b.folder
        opts = teacher.get("openai") or {}
        where = f"teachers.{name}.openai"
        errors += [
            e
            for e in (
                key_env_error(opts.get("api_key_env", "OPENAI_API_KEY"), f"{where}.api_key_env"),
                base_url_error(
                    opts.get("base_url", "http://localhost:8000/v1"), f"{where}.base_url"
                ),
            )
            if e
        ]
        if opts.get("logprobs", True) is False:
            if backend == "openai":
                errors.append(
                    f"{where}.logprobs: false needs backend openai_chat (the completions "
                    f"backend reads log-probabilities)"
                )
            if opts.get("samples", 5) > 1 and opts.get("temperature", 1.0) == 0:
                errors.append(
                    f"{where}: {opts['samples']} samples at temperature 0 are one answer asked "
                    f"{opts['samples']} times; set samples: 1 or a temperature above 0"
                )
    if chat:
        for ds_name, ds in (config.get("datasets") or {}).items():
            problem = label_words_error(
                [str(x) for x in ds.get("labels") or []], f"datasets.{ds_name}.labels"
            )
            if problem:
                errors.append(problem)
    return errors
