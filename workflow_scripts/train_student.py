from labelrisk.logs import to_log

to_log(snakemake.log[0])

from labelrisk.devices import job_name, lease_gpus

# Before torch is imported.
job = job_name(snakemake.rule, snakemake.wildcards)
lease_gpus(getattr(snakemake.resources, "gpu", 0), job=job)

from pathlib import Path

import pandas as pd
from tqdm import tqdm

from labelrisk.students.jobs import split_runs, with_run
from labelrisk.students.train import Hyper, Run, train_runs

# Settings that change no prediction (keep_models) come from the config, not from params, so
# changing them re-runs nothing.
storage = snakemake.config["training"]
hp = Hyper.from_config({**storage, **snakemake.params.training})
runs = [tuple(r) for r in snakemake.params.runs]
work = Path(snakemake.output[0]).with_suffix("")
students = []
for (size, seed), sets in zip(
    runs, split_runs([pd.read_parquet(snakemake.input.label_sets)], runs), strict=True
):
    work_dir = work / f"n{size}_seed{seed}"
    students.append(Run(sets[sets.split == "train"], sets[sets.split == "val"], seed, work_dir))

many = len(students) > 1
preds = train_runs(
    snakemake.input.student,
    snakemake.params.n_classes,
    students,
    pd.read_parquet(snakemake.input.test),
    hp,
    keep_model=storage["keep_models"],
    threads=snakemake.threads,
    progress=not many,
)
tables = [
    with_run(pred, *run)
    for run, pred in tqdm(
        zip(runs, preds, strict=True), total=len(runs), desc="runs", disable=not many
    )
]
pd.concat(tables, ignore_index=True).to_parquet(snakemake.output[0], index=False)
