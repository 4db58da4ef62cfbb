from labelrisk.logs import to_log

to_log(snakemake.log[0])

import json
import sys
from collections import Counter
from pathlib import Path

import pandas as pd

from labelrisk.data.checks import check_split
from labelrisk.data.dataset import split
from labelrisk.grid import sizes_for

name, params = snakemake.wildcards.dataset, snakemake.params
dropped = Counter()
parts = split(
    pd.read_parquet(snakemake.input.rows),
    params.seed,
    params.pool,
    params.val_size,
    params.test_size,
    name=name,
    # Only checked (the split does not depend on it), so read from the config, not a param:
    # a new training size re-runs no split.
    largest_size=max(sizes_for(snakemake.config, name)),
    texts_in_two_splits=params.texts_in_two_splits,
    dropped=dropped,
)
# Only named in the message, as above.
check_split(name, parts, snakemake.config["datasets"][name]["labels"])
if dropped["text_in_two_splits"]:
    print(
        f"dataset {name!r}: left out {dropped['text_in_two_splits']} rows of the pool and "
        f"validation set whose text is also in the test set; see {snakemake.output.summary}",
        file=sys.__stderr__,
    )
summary = {}
for part, df in parts.items():
    df.to_parquet(snakemake.output[part], index=False)
    summary[part] = {"rows": len(df), "labels": df.label.value_counts().sort_index().to_dict()}
if params.texts_in_two_splits == "drop":
    summary["dropped"] = dict(dropped)
Path(snakemake.output.summary).write_text(json.dumps(summary, indent=2, default=int))
