from labelrisk.logs import to_log

to_log(snakemake.log[0])

import re

import pandas as pd

from labelrisk.analysis.claims import claims_markdown, claims_table
from labelrisk.analysis.minority import class_shares

summary = pd.read_csv(snakemake.input.summary)
teachers = pd.read_csv(snakemake.input.teachers)
labels = snakemake.params.labels
frames = []
for path in snakemake.input.per_item:
    # results/metrics/<dataset>/<source>.items.parquet; a source id may hold one "/"
    m = re.search(r"metrics/([^/]+)/(.+)\.items\.parquet$", path)
    frames.append(pd.read_parquet(path).assign(dataset=m[1], source=m[2]))
table = claims_table(
    pd.concat(frames, ignore_index=True),
    summary,
    {ds: class_shares(teachers, ds) for ds in labels},
    {ds: len(names) for ds, names in labels.items()},
    labels,
    boot=snakemake.params.bootstrap,
    seed=snakemake.params.seed,
    larger=snakemake.params.larger,
)
table.to_csv(snakemake.output.csv, index=False)
with open(snakemake.output.md, "w") as f:
    f.write(claims_markdown(table, n_seeds=len(snakemake.params.seeds)))
