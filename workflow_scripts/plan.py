from labelrisk.logs import to_log

to_log(snakemake.log[0])

import os

import pandas as pd

from labelrisk.artefacts import plan
from labelrisk.product.plan import product_rows
from labelrisk.students import jobs as lr_jobs
from labelrisk.teachers import backends

config = snakemake.params.config
items = {
    name: pd.concat([pd.read_parquet(pool), pd.read_parquet(val)], ignore_index=True)
    for name, pool, val in zip(
        snakemake.params.datasets, snakemake.input.pool, snakemake.input.val, strict=True
    )
}
# Server teachers' measured rates, from the answers a previous run cached (read, not an input:
# a new answer does not re-make the plan).
cache = snakemake.params.answer_cache
served = {
    t: plan.served_rate(cache, config["teachers"][t]["openai"]["base_url"])
    for t in config["grid"]["teachers"]
    if os.path.exists(cache) and backends.of(config["teachers"][t]).server
}
teachers = plan.teacher_rows(config, items, served)
# The product's unlabelled tables, where `datasets.<id>.unlabelled` gives one.
unlabelled = {
    name: pd.read_parquet(path)
    for name, path in zip(
        snakemake.params.product_datasets, snakemake.input.unlabelled, strict=True
    )
}
if unlabelled:
    teachers = pd.concat([teachers, product_rows(config, items, unlabelled)], ignore_index=True)
training = plan.training_rows(config, items)
# Hours measured by a previous run's training jobs, where there are any (read, not an input).
key = lr_jobs.job_key(config["training"]["runs_per_job"])
training = plan.measured_training(training, plan.read_benchmarks("benchmarks/train", items, key))
teachers.to_csv(snakemake.output.teachers, index=False)
training.to_csv(snakemake.output.training, index=False)
with open(snakemake.output.md, "w") as f:
    f.write(plan.markdown(teachers, training, config, plan.prompt_examples(config, items)))
