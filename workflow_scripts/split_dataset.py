from labelrisk.logs import to_log

to_log(snakemake.log[0])

import json
from pathlib import Path

import pandas as pd

from labelrisk.data.dataset import split
from labelrisk.grid import sizes_for

cfg = snakemake.params.splits
parts = split(
    pd.read_parquet(snakemake.input.rows),
    cfg["seed"],
    snakemake.params.pool,
    cfg["val_size"],
    cfg["test_size"],
    name=snakemake.wildcards.dataset,
    # Only checked (the split does not depend on it), so read from the config, not a param.
    largest_size=max(sizes_for(snakemake.config, snakemake.wildcards.dataset)),
)
summary = {}
for name, df in parts.items():
    df.to_parquet(snakemake.output[name], index=False)
    summary[name] = {"rows": len(df), "labels": df.label.value_counts().sort_index().to_dict()}
Path(snakemake.output.summary).write_text(json.dumps(summary, indent=2, default=int))
