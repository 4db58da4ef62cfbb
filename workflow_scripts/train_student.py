from labelrisk.logs import to_log

to_log(snakemake.log[0])

from labelrisk.devices import lease_gpus

lease_gpus(snakemake.resources.gpu)  # before torch is imported

import pandas as pd

from labelrisk.student import Hyper, train_and_predict

cfg = snakemake.params.training
hp = Hyper(
    epochs=cfg["epochs"],
    learning_rate=cfg["learning_rate"],
    train_batch_size=cfg["train_batch_size"],
    eval_batch_size=cfg["eval_batch_size"],
    weight_decay=cfg["weight_decay"],
    warmup_ratio=cfg["warmup_ratio"],
    max_length=cfg["max_length"],
    save_total_limit=cfg["save_total_limit"],
    mixed_precision=cfg["mixed_precision"],
)
sets = pd.read_parquet(snakemake.input.train)
preds = train_and_predict(
    snakemake.input.student,
    snakemake.params.n_classes,
    sets[sets.split == "train"],
    sets[sets.split == "val"],
    pd.read_parquet(snakemake.input.test),
    int(snakemake.wildcards.seed),
    snakemake.params.work,
    hp,
    keep_model=cfg["keep_models"],
    threads=snakemake.threads,
)
preds.to_parquet(snakemake.output[0], index=False)
