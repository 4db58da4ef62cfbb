from labelrisk.logs import to_log

to_log(snakemake.log[0])

import json
from pathlib import Path

import pandas as pd

from labelrisk.labels.label_sets import build

params, inputs = snakemake.params, snakemake.input
sets = build(
    snakemake.wildcards.source,
    pd.read_parquet(inputs.pool),
    pd.read_parquet(inputs.val),
    [pd.read_parquet(p).set_index("id") for p in inputs.annotations],
    params.sizes,
    params.seeds,
    mitigations=params.mitigations,
    validation_labels=params.validation_labels,
    embeddings=pd.read_parquet(inputs.embeddings) if inputs.embeddings else None,
    calibration=params.calibration,
    meta=json.loads(Path(inputs.meta).read_text()) if inputs.meta else None,
    labels=params.labels,
    n_classes=params.n_classes,
    seed=params.seed,
    dataset=snakemake.wildcards.dataset,
)
paths = {p.rsplit("/", 1)[-1]: p for p in snakemake.output}
for (size, seed), table in sets.items():
    table.to_parquet(paths[f"n{size}_seed{seed}.parquet"], index=False)
