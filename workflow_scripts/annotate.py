from labelrisk.logs import to_log

to_log(snakemake.log[0])

from labelrisk.devices import lease_gpus

lease_gpus(snakemake.resources.gpu)  # before torch is imported

import json
from pathlib import Path

import pandas as pd

from labelrisk.annotate import annotate, draw_demonstrations, journal_path
from labelrisk.prompt import render
from labelrisk.teacher import TransformersTeacher

ds, cfg = snakemake.params.dataset, snakemake.params.annotation
member = int(snakemake.wildcards.member)
pool = pd.read_parquet(snakemake.input.pool)
items = pd.concat([pool, pd.read_parquet(snakemake.input.val)], ignore_index=True)
demos = draw_demonstrations(pool, cfg["shots"], cfg["seed"], member)

teacher = TransformersTeacher(
    snakemake.input.teacher, snakemake.params.teacher["dtype"], snakemake.threads
)
journal = journal_path(
    snakemake.params.journal,
    ds,
    cfg["max_text_tokens"],
    demos.id.tolist(),
    items.id.tolist(),
    items.text.tolist(),
    (Path(snakemake.input.teacher) / "config.json").read_text(),
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
out.to_parquet(snakemake.output.labels, index=False)
meta = {
    "dataset": snakemake.wildcards.dataset,
    "teacher": snakemake.wildcards.teacher,
    "member": member,
    "demonstration_seed": [cfg["seed"], member],
    "demonstration_ids": demos.id.tolist(),
    "max_text_tokens": cfg["max_text_tokens"],
    "items": len(out),
    "truncated_items": int(out.truncated.sum()),
    "mean_class_mass": float(out.class_mass.mean()),
    "prompt_example": render(
        ds["task"],
        dict(enumerate(ds["labels"])),
        list(zip(demos.text, demos.label, strict=True)),
        "{input_text}",
    ),
}
Path(snakemake.output.meta).write_text(json.dumps(meta, indent=2))
journal.unlink()
