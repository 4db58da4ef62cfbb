from labelrisk.logs import to_log

to_log(snakemake.log[0])

from labelrisk.devices import lease_gpus

lease_gpus(getattr(snakemake.resources, "gpu", 0))  # before torch is imported

from pathlib import Path

import pandas as pd
from tqdm import tqdm

from labelrisk.students.train import Hyper, Run, train_runs

cfg = snakemake.params.training
hp = Hyper(
    epochs=cfg["epochs"],
    learning_rate=cfg["learning_rate"],
    train_batch_size=cfg["train_batch_size"],
    eval_batch_size=cfg["eval_batch_size"],
    weight_decay=cfg["weight_decay"],
    warmup_ratio=cfg["warmup_ratio"],
    max_length=cfg["max_length"],
    best_weights=cfg["best_weights"],
    save_total_limit=cfg["save_total_limit"],
    mixed_precision=cfg["mixed_precision"],
    optimizer=cfg["optimizer"],
    group_by_length=cfg["group_by_length"],
)
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
