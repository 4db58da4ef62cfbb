from labelrisk.logs import to_log

to_log(snakemake.log[0])

from labelrisk.devices import job_name, lease_gpus

# Before torch is imported.
lease_gpus(
    getattr(snakemake.resources, "gpu", 0), job=job_name(snakemake.rule, snakemake.wildcards)
)

import shutil
from pathlib import Path

import pandas as pd

from labelrisk.students import export
from labelrisk.students.jobs import split_runs
from labelrisk.students.train import Hyper, Run, train_runs

wc, p = snakemake.wildcards, snakemake.params
size, seed = int(wc.size), int(wc.seed)
# Storage settings from the config, the recipe from params: as train_student reads them.
hp = Hyper.from_config({**snakemake.config["training"], **p.training})
(sets,) = split_runs([pd.read_parquet(snakemake.input.label_sets)], [(size, seed)])
(study,) = split_runs([pd.read_parquet(snakemake.input.predictions)], [(size, seed)])
folder = Path(snakemake.output[0])
work = folder.with_name(folder.name + ".work")
run = Run(sets[sets.split == "train"], sets[sets.split == "val"], seed, work)
test = pd.read_parquet(snakemake.input.test)
(preds,) = train_runs(
    snakemake.input.student,
    p.n_classes,
    [run],
    test,
    hp,
    keep_model=True,
    threads=snakemake.threads,
)
export.check_same(preds, study)
shutil.move(work / "best", folder)
shutil.rmtree(work)
export.name_labels(folder, snakemake.input.student, p.labels)
metrics = pd.read_parquet(snakemake.input.metrics).set_index("size").loc[size]
card = export.card(
    dataset=wc.dataset,
    labels=p.labels,
    source=wc.source,
    teacher=p.teacher,
    size=size,
    seed=seed,
    base=p.base,
    metrics=metrics,
)
(folder / "README.md").write_text(card)
