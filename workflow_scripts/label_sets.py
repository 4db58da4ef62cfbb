from labelrisk.logs import to_log

to_log(snakemake.log[0])

import json
from pathlib import Path

import pandas as pd

from labelrisk.labels.label_sets import build
from labelrisk.students.jobs import with_run

params, inputs = snakemake.params, snakemake.input
runs = [tuple(r) for r in params.runs]
sets = build(
    snakemake.wildcards.source,
    pd.read_parquet(inputs.pool),
    pd.read_parquet(inputs.val),
    [pd.read_parquet(p).set_index("id") for p in inputs.annotations],
    list(dict.fromkeys(n for n, _ in runs)),
    list(dict.fromkeys(s for _, s in runs)),
    settings=params.settings,
    validation_labels=params.validation_labels,
    embeddings=pd.read_parquet(inputs.embeddings) if inputs.embeddings else None,
    meta=json.loads(Path(inputs.meta).read_text()) if inputs.meta else None,
    labels=params.labels,
    dataset=snakemake.wildcards.dataset,
)
table = pd.concat([with_run(sets[run], *run) for run in runs], ignore_index=True)
table.to_parquet(snakemake.output[0], index=False)
