from labelrisk.logs import to_log

to_log(snakemake.log[0])

import pandas as pd

from labelrisk.artefacts.claims import claims_markdown, claims_table
from labelrisk.artefacts.minority import class_shares
from labelrisk.evaluation.metrics import CollapseRule

summary = pd.read_csv(snakemake.input.summary)
teachers = pd.read_csv(snakemake.input.teachers)
labels = snakemake.params.labels
settings = snakemake.params.claims
# Each per-item table names its dataset and source in columns.
table = claims_table(
    pd.concat(map(pd.read_parquet, snakemake.input.per_item), ignore_index=True),
    summary,
    {ds: class_shares(teachers, ds) for ds in labels},
    {ds: len(names) for ds, names in labels.items()},
    labels,
    parameters=snakemake.params.parameters,
    collapse=CollapseRule(**snakemake.params.collapse),
    minority_below=settings["minority_below"],
    level=settings["level"],
    accuracy_margin=settings["accuracy_margin"],
    correction=settings["correction"],
)
table.to_csv(snakemake.output.csv, index=False)
with open(snakemake.output.md, "w") as f:
    f.write(claims_markdown(table, settings["level"], settings["accuracy_margin"]))
