from labelrisk.logs import to_log

to_log(snakemake.log[0])

import json
from pathlib import Path

from labelrisk.data.dataset import clean, keep_class_shares, read_dataset

ds = snakemake.params.dataset
raw = read_dataset(
    snakemake.wildcards.dataset, ds["origin"], ds["labels"], Path(snakemake.params.cache)
)
rows, drops = clean(raw, ds["labels"], snakemake.params.on_bad_rows)
rows, left_out = keep_class_shares(rows, ds["class_keep"], ds["labels"], snakemake.params.seed)
drops.update(left_out)
rows.to_parquet(snakemake.output.rows, index=False)
counts = rows.label.value_counts().sort_index()
summary = {
    "read": len(raw),
    "kept": len(rows),
    "dropped": dict(drops),
    "labels": {ds["labels"][k]: int(v) for k, v in counts.items()},
}
Path(snakemake.output.report).write_text(json.dumps(summary, indent=2))
