"""One annotation job (dataset x teacher x member) from input files to output files.

Shared by every backend: the rule script runs it in-process for transformers and OpenAI-style
servers, and the vLLM worker runs it in vLLM's own environment.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from labelrisk.annotation.journal import (
    annotate,
    draw_demonstrations,
    journal_path,
    score_content_free,
)
from labelrisk.annotation.prompt import render
from labelrisk.devices import resolve_dtype


@dataclass
class Job:
    dataset_name: str
    teacher_name: str
    member: int
    pool: str
    val: str
    teacher_dir: str
    dataset: dict  # the dataset's config entry
    teacher: dict  # the teacher's config entry
    annotation: dict  # config["annotation"]
    journal: str  # journal folder
    labels_out: str
    meta_out: str

    def to_json(self) -> str:
        return json.dumps(self.__dict__)

    @classmethod
    def from_json(cls, text: str) -> Job:
        return cls(**json.loads(text))

    @classmethod
    def from_rule(cls, smk) -> Job:
        """The job of an annotate rule's `snakemake` object."""
        return cls(
            dataset_name=smk.wildcards.dataset,
            teacher_name=smk.wildcards.teacher,
            member=int(smk.wildcards.member),
            pool=smk.input.pool,
            val=smk.input.val,
            teacher_dir=smk.input.teacher,
            dataset=dict(smk.params.dataset),
            teacher=dict(smk.params.teacher),
            annotation=dict(smk.params.annotation),
            journal=smk.params.journal,
            labels_out=smk.output.labels,
            meta_out=smk.output.meta,
        )


# Teacher settings that never change a score (connection handling, journal write sizes, the
# name of the API-key variable): left out of the journal key, so changing them keeps a resume.
SCORE_FREE = {
    "openai": {"api_key_env", "concurrency", "chunk_size", "max_retries", "backoff", "timeout"}
}


def engine_identity(teacher_cfg: dict) -> dict:
    """What, besides the weights, decides the scores: the backend and all its settings (the
    teacher's whole config entry, its pinned source included), so a journal never mixes two
    engines or two settings of one."""
    backend = teacher_cfg.get("backend", "transformers")
    out = {"backend": backend, "dtype": teacher_cfg.get("dtype")}
    for key, value in sorted(teacher_cfg.items()):
        if isinstance(value, dict):
            value = {k: v for k, v in value.items() if k not in SCORE_FREE.get(key, ())}
        out[key] = value
    if backend != "openai":  # `auto` becomes what this machine runs
        out["dtype"] = resolve_dtype(teacher_cfg.get("dtype", "auto"))
    return out


def weights_fingerprint(folder: str | Path) -> str:
    """A sha256 over the relative path and content of every file of a model folder (links
    followed, hidden files aside): weights, config and tokenizer. Two folders share it only when
    every file is the same, whatever their names or timestamps."""
    root = Path(folder)
    h = hashlib.sha256()
    files = sorted(
        p
        for p in root.resolve().rglob("*")
        if p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(root.resolve()).parts)
    )
    for p in files:
        digest = hashlib.sha256()
        with open(p, "rb") as f:
            while block := f.read(1 << 20):
                digest.update(block)
        h.update(f"{p.relative_to(root.resolve()).as_posix()}\0{digest.hexdigest()}\n".encode())
    return h.hexdigest()


def run(job: Job, teacher) -> pd.DataFrame:
    """Annotate pool + validation items with `teacher`; write the labels table and its meta."""
    ds, cfg = job.dataset, job.annotation
    pool = pd.read_parquet(job.pool)
    items = pd.concat([pool, pd.read_parquet(job.val)], ignore_index=True)
    demos = draw_demonstrations(pool, cfg["shots"], cfg["seed"], job.member)
    journal = journal_path(
        job.journal,
        ds,
        cfg["max_text_tokens"],
        demos.id.tolist(),
        items.id.tolist(),
        items.text.tolist(),
        weights_fingerprint(job.teacher_dir),
        engine_identity(job.teacher),
        {k: cfg[k] for k in ("batch_tokens", "max_batch")},
    )
    out = annotate(
        teacher,
        items,
        demos,
        ds["task"],
        ds["labels"],
        journal,
        cfg["max_text_tokens"],
        cfg["batch_tokens"],
        cfg["max_batch"],
    )
    out["split"] = ["pool"] * len(pool) + ["val"] * (len(items) - len(pool))
    out.to_parquet(job.labels_out, index=False)
    mass = float(out.class_mass.mean())
    meta = {
        "dataset": job.dataset_name,
        "teacher": job.teacher_name,
        "backend": job.teacher.get("backend", "transformers"),
        "member": job.member,
        "demonstration_seed": [cfg["seed"], job.member],
        "demonstration_ids": demos.id.tolist(),
        "max_text_tokens": cfg["max_text_tokens"],
        "items": len(out),
        "truncated_items": int(out.truncated.sum()),
        # null when the engine reports log-probabilities after the guided-decoding mask.
        "mean_class_mass": None if math.isnan(mass) else mass,
        "prompt_example": render(
            ds["task"],
            dict(enumerate(ds["labels"])),
            list(zip(demos.text, demos.label, strict=True)),
            "{input_text}",
        ),
    }
    if cfg.get("content_free_inputs"):  # content-free calibration (labelrisk.labels.calibration)
        meta["content_free"] = score_content_free(
            teacher,
            demos,
            ds["task"],
            ds["labels"],
            cfg["content_free_inputs"],
            cfg["max_text_tokens"],
            cfg["batch_tokens"],
            cfg["max_batch"],
        )
    Path(job.meta_out).write_text(json.dumps(meta, indent=2))
    journal.unlink()
    return out
