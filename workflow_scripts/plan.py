from labelrisk.logs import to_log

to_log(snakemake.log[0])

import pandas as pd

from labelrisk.artefacts import plan
from labelrisk.product.plan import product_rows

config = snakemake.params.config
items = {
    name: pd.concat([pd.read_parquet(pool), pd.read_parquet(val)], ignore_index=True)
    for name, pool, val in zip(
        snakemake.params.datasets, snakemake.input.pool, snakemake.input.val, strict=True
    )
}
teachers = plan.teacher_rows(config, items)
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
teachers.to_csv(snakemake.output.teachers, index=False)
training.to_csv(snakemake.output.training, index=False)
with open(snakemake.output.md, "w") as f:
    f.write(plan.markdown(teachers, training, config))
