from labelrisk.logs import to_log

to_log(snakemake.log[0])

import json
from pathlib import Path

import pandas as pd

from labelrisk.data.checks import check_split
from labelrisk.data.dataset import split
from labelrisk.grid import sizes_for

name = snakemake.wildcards.dataset
cfg = snakemake.params.splits
parts = split(
    pd.read_parquet(snakemake.input.rows),
    cfg["seed"],
    snakemake.params.pool,
    cfg["val_size"],
    cfg["test_size"],
    name=name,
    # Only checked (the split does not depend on it), so read from the config, not a param.
    largest_size=max(sizes_for(snakemake.config, name)),
)
# Only named in the message, as above.
check_split(name, parts, snakemake.config["datasets"][name]["labels"])
summary = {}
for part, df in parts.items():
    df.to_parquet(snakemake.output[part], index=False)
    summary[part] = {"rows": len(df), "labels": df.label.value_counts().sort_index().to_dict()}
Path(snakemake.output.summary).write_text(json.dumps(summary, indent=2, default=int))
