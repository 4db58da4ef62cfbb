from labelrisk.logs import to_log

to_log(snakemake.log[0])

from labelrisk.devices import job_name, lease_gpus

# Before torch is imported.
job = job_name(snakemake.rule, snakemake.wildcards)
lease_gpus(getattr(snakemake.resources, "gpu", 0), job=job)

from pathlib import Path

import pandas as pd
from tqdm import tqdm

from labelrisk.students.train import Hyper, Run, train_runs

cfg = snakemake.params.training
hp = Hyper.from_config(cfg)
runs = []
for (size, seed), sets_path, out in zip(
    snakemake.params.runs, snakemake.input.train, snakemake.output, strict=True
):
    assert f"/n{size}_seed{seed}" in out, (size, seed, out)
    sets = pd.read_parquet(sets_path)
    work = Path(out).parent / "work"
    runs.append(Run(sets[sets.split == "train"], sets[sets.split == "val"], seed, work))

many = len(runs) > 1
preds = train_runs(
    snakemake.input.student,
    snakemake.params.n_classes,
    runs,
    pd.read_parquet(snakemake.input.test),
    hp,
    keep_model=cfg["keep_models"],
    threads=snakemake.threads,
    progress=not many,
)
for out, pred in tqdm(
    zip(snakemake.output, preds, strict=True), total=len(runs), desc="runs", disable=not many
):
    pred.to_parquet(out, index=False)
