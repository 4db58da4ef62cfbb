"""The product: a student trained on the chosen source's labels of pool + unlabelled rows with
the study's recipe, its best epoch picked on the validation set, tested on the gold test set,
saved as a Hugging Face folder with a model card (labelrisk.product)."""

from labelrisk.logs import to_log

to_log(snakemake.log[0])

from labelrisk.devices import job_name, lease_gpus

# Before torch is imported.
lease_gpus(
    getattr(snakemake.resources, "gpu", 0), job=job_name(snakemake.rule, snakemake.wildcards)
)

import json
import shutil
from pathlib import Path

import pandas as pd

from labelrisk import predict
from labelrisk.product import card, training
from labelrisk.students import export
from labelrisk.students.train import Hyper, Run, train_runs

inp, p, wc = snakemake.input, snakemake.params, snakemake.wildcards
choice = json.loads(Path(inp.choice).read_text())
pool, val, test = (pd.read_parquet(x) for x in (inp.pool, inp.val, inp.test))
unlabelled = pd.read_parquet(inp.unlabelled)
answers = training.members(
    [pd.read_parquet(x) for x in inp.study_answers],
    [pd.read_parquet(x) for x in inp.product_answers],
)
train, val_set, counts = training.training_set(
    choice["source"],
    pool,
    val,
    unlabelled,
    answers,
    p.seed,
    settings=p.settings,
    validation_labels=p.validation_labels,
    meta=json.loads(Path(inp.meta).read_text()) if inp.meta else None,
    labels=p.labels,
    dataset=wc.dataset,
)
training.check_no_leak(train, unlabelled, {"test": test, "validation": val})
# What the product was trained on (the label it saw, and whether gold gave it).
train[["id", "text", "label", "is_gold", "teacher_label"]].to_parquet(
    snakemake.output.training, index=False
)
hp = Hyper.from_config({**snakemake.config["training"], **p.training})
folder = Path(snakemake.output.model)
work = folder.with_name(folder.name + ".work")
(preds,) = train_runs(
    inp.student,
    p.n_classes,
    [Run(train, val_set, p.seed, work)],
    test,
    hp,
    keep_model=True,
    threads=snakemake.threads,
)
shutil.move(work / "best", folder)
shutil.rmtree(work)
export.name_labels(folder, inp.student, p.labels)
# The folder runs on its own: `python predict.py . texts.csv predictions.csv` inside it.
shutil.copy(predict.__file__, folder / "predict.py")
own = card.test_measures(
    test.set_index("id").loc[preds.id, "label"].to_numpy(), preds.pred.to_numpy(), p.n_classes
)
metrics = pd.read_parquet(inp.metrics).set_index("size")
study = card.study_measures(
    pd.read_parquet(inp.source_items),
    pd.read_parquet(inp.gold_items),
    metrics.loc[metrics.index.max(), "collapsed"],
    p.n_classes,
)
base = card.base_model(p.base)
text = card.card(
    name=f"{wc.dataset}-{choice['source'].replace('/', '-')}",
    dataset=wc.dataset,
    labels=p.labels,
    teacher=choice["teacher"],
    choice=choice,
    base=base,
    language=p.language,
    counts=dict(counts),
    study=study,
    test=own,
)
(folder / "README.md").write_text(text)
Path(snakemake.output.card).write_text(text)
summary = {"choice": choice, "counts": dict(counts), "test": own, "study": study}
Path(snakemake.output.summary).write_text(json.dumps(summary, indent=2, default=str))
