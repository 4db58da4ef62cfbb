"""One annotation job (dataset x teacher x member) from input files to output files, and the
small content-free job beside it (the same prompt with content-free inputs in the item's place).

Shared by every backend: the rule script runs it in-process for transformers and servers, and
the vLLM worker runs it in vLLM's own environment.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from labelrisk.annotation.demonstrations import draw_demonstrations, fixed_demonstrations
from labelrisk.annotation.journal import (
    annotate,
    cut_demonstrations,
    journal_path,
    score_content_free,
)
from labelrisk.devices import resolve_dtype
from labelrisk.fetch.fingerprint import fingerprint, model_files
from labelrisk.teachers import backends
from labelrisk.teachers.prompt import Prompt

log = logging.getLogger(__name__)

KINDS = ("annotate", "content_free")
# The `annotation` settings an annotation job reads (params: nothing else re-runs it).
SETTINGS = ("shots", "seed", "max_text_tokens", "batch_tokens", "max_batch")


@dataclass
class Job:
    kind: str  # annotate | content_free
    dataset_name: str
    teacher_name: str
    member: int
    pool: str
    teacher_dir: str | None  # None for chat teachers: no model folder
    dataset: dict  # the dataset's task, labels and prompt
    teacher: dict  # the teacher's config entry
    annotation: dict  # the SETTINGS of config["annotation"]
    journal: str  # journal folder
    outputs: dict  # annotate: labels, meta; content_free: meta
    val: str | None = None
    # Another items table (the product's unlabelled rows) in place of pool + validation set:
    # its journal is keyed without the items and kept, so a larger table scores only new rows
    # (its ids change with their text: labelrisk.product.unlabelled.item_id).
    items: str | None = None
    cache: str | None = None  # server teachers' answer cache
    content_free_inputs: list = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(self.__dict__)

    @classmethod
    def from_json(cls, text: str) -> Job:
        return cls(**json.loads(text))

    @classmethod
    def from_rule(cls, smk, kind: str) -> Job:
        """The job of an annotate or content_free rule's `snakemake` object."""
        teacher_dir = smk.input.get("teacher")
        params = smk.params
        return cls(
            kind=kind,
            dataset_name=smk.wildcards.dataset,
            teacher_name=smk.wildcards.teacher,
            member=int(smk.wildcards.member),
            pool=smk.input.pool,
            val=smk.input.get("val"),
            items=smk.input.get("unlabelled"),  # the product rule's items table
            teacher_dir=str(teacher_dir) if teacher_dir else None,
            dataset=dict(params.dataset),
            teacher=dict(params.teacher),
            annotation=dict(params.annotation),
            journal=params.journal,
            cache=params.get("cache"),
            content_free_inputs=list(params.get("content_free_inputs") or []),
            outputs=dict(smk.output.items()),
        )


def annotation_settings(config: dict) -> dict:
    return {k: config["annotation"][k] for k in SETTINGS}


def engine_identity(teacher_cfg: dict) -> dict:
    """What, besides the weights, decides the scores: the backend and all its settings (the
    teacher's whole config entry, its pinned origin included), so a journal never mixes two
    engines or two settings of one."""
    backend = backends.of(teacher_cfg)
    out = {"backend": backend.name, "dtype": teacher_cfg.get("dtype")}
    for key, value in sorted(teacher_cfg.items()):
        if isinstance(value, dict):  # settings that never change a score (the descriptors')
            value = {k: v for k, v in value.items() if k not in backends.score_free(key)}
        out[key] = value
    if not backend.server:  # a local engine: `auto` becomes what this machine runs
        out["dtype"] = resolve_dtype(teacher_cfg.get("dtype", "auto"))
    return out


def folder_fingerprint(folder: str | Path) -> str:
    """The model folder's fingerprint (`labelrisk.fetch.fingerprint`): from
    `<folder>.fingerprint.json` (written once beside the folder when the model is fetched:
    `{"sha256": ...}`) when it is newer than every file of the folder, else computed (reads
    every byte: 3 GB for a 1.5B model)."""
    folder = Path(folder)
    record = folder.parent / f"{folder.name}.fingerprint.json"
    if record.is_file():
        try:
            value = json.loads(record.read_text())
            value = value.get("sha256") or value.get("fingerprint")
        except (json.JSONDecodeError, AttributeError):
            value = None
        newest = max((p.stat().st_mtime for p in model_files(folder)), default=0.0)
        if isinstance(value, str) and record.stat().st_mtime >= newest:
            return value
        log.warning("%s is unreadable or older than the folder: hashing the folder", record)
    return fingerprint(folder)["sha256"]


def prompt_of(job: Job) -> Prompt:
    spec = job.dataset.get("prompt") or {}
    template = Path(spec["template"]).read_text() if spec.get("template") else None
    return Prompt.of_dataset(job.dataset, template)


def demonstrations_of(job: Job, pool: pd.DataFrame) -> pd.DataFrame:
    """The member's demonstrations: fixed by the dataset's file, else drawn from the pool."""
    spec = job.dataset.get("prompt") or {}
    if spec.get("demonstrations"):
        return fixed_demonstrations(spec["demonstrations"], job.dataset["labels"], job.member)
    cfg = job.annotation
    return draw_demonstrations(pool, cfg["shots"], cfg["seed"], job.member)


def _described(job: Job, prompt: Prompt, demos: pd.DataFrame, teacher) -> dict:
    """What every output `.json` of a job says about its prompt and teacher."""
    cfg, spec = job.annotation, job.dataset.get("prompt") or {}
    out = {
        "dataset": job.dataset_name,
        "teacher": job.teacher_name,
        "backend": backends.of(job.teacher).name,
        "member": job.member,
        "demonstration_ids": demos.id.tolist(),
        "answer": prompt.answer,
        "system": prompt.system,
        "template_file": spec.get("template"),
        "demonstrations_file": spec.get("demonstrations"),
        "max_text_tokens": cfg["max_text_tokens"],
    }
    if not spec.get("demonstrations"):
        out["demonstration_seed"] = [cfg["seed"], job.member]
    if hasattr(teacher, "record"):
        out["server"] = teacher.record()
    return out


def run(job: Job, teacher):
    """Run the job with `teacher`: annotate or score the content-free inputs."""
    if job.kind == "content_free":
        return run_content_free(job, teacher)
    if job.kind != "annotate":
        raise ValueError(f"unknown job kind {job.kind!r}; one of {KINDS}")
    return run_annotate(job, teacher)


def run_annotate(job: Job, teacher) -> pd.DataFrame:
    """Annotate pool + validation items (or `job.items`) with `teacher`; write the labels table
    and its meta."""
    cfg = job.annotation
    pool = pd.read_parquet(job.pool)
    if job.items:
        items = pd.read_parquet(job.items)
    else:
        items = pd.concat([pool, pd.read_parquet(job.val)], ignore_index=True)
    keyed = [] if job.items else [items.id.tolist(), items.text.tolist()]
    prompt, demos = prompt_of(job), demonstrations_of(job, pool)
    journal = None
    if not getattr(teacher, "caches_answers", False):
        journal = journal_path(
            job.journal,
            prompt.identity(),
            cfg["max_text_tokens"],
            demos.id.tolist(),
            demos.text.tolist(),
            *keyed,
            folder_fingerprint(job.teacher_dir),
            engine_identity(job.teacher),
            {k: cfg[k] for k in ("batch_tokens", "max_batch")},
        )
    pairs, cut = cut_demonstrations(teacher, demos, cfg["max_text_tokens"])
    out = annotate(
        teacher,
        items,
        pairs,
        prompt,
        journal,
        cfg["max_text_tokens"],
        cfg["batch_tokens"],
        cfg["max_batch"],
    )
    if job.items:
        out["split"] = "unlabelled"
    else:
        out["split"] = ["pool"] * len(pool) + ["val"] * (len(items) - len(pool))
    out.to_parquet(job.outputs["labels"], index=False)
    mass = float(out.class_mass.mean())
    meta = _described(job, prompt, demos, teacher) | {
        "items": len(out),
        "truncated_items": int(out.truncated.sum()),
        "truncated_demonstrations": cut,
        # null when the engine reports log-probabilities after the guided-decoding mask.
        "mean_class_mass": None if math.isnan(mass) else mass,
        "mean_off_label_mass": None if math.isnan(mass) else 1.0 - mass,
        "no_label_items": int(out.no_label.sum()),
        # The prompt as sent: demonstrations cut to the text budget, the item left open.
        "prompt_example": prompt.user(pairs, "{input_text}"),
    }
    Path(job.outputs["meta"]).write_text(json.dumps(meta, indent=2))
    if journal is not None and not job.items:
        journal.unlink()
    return out


def run_content_free(job: Job, teacher) -> dict:
    """Score the content-free inputs through the member's prompt; write them as a `.json`
    (`content_free`: inputs, probs, class_mass, mean) that contextual calibration reads."""
    cfg = job.annotation
    pool = pd.read_parquet(job.pool)
    prompt, demos = prompt_of(job), demonstrations_of(job, pool)
    scores = score_content_free(
        teacher,
        demos,
        prompt,
        job.content_free_inputs,
        cfg["max_text_tokens"],
        cfg["batch_tokens"],
        cfg["max_batch"],
    )
    meta = _described(job, prompt, demos, teacher) | {"content_free": scores}
    Path(job.outputs["meta"]).write_text(json.dumps(meta, indent=2))
    return meta
