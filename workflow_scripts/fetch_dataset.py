"""Datasets: read from their origin, malformed rows dropped and counted, split reproducibly."""

from labelrisk.logs import to_log

to_log(snakemake.log[0])

import json
import sys
from pathlib import Path

from labelrisk.data.checks import check_classes, check_dropped_share
from labelrisk.data.dataset import (
    MALFORMED,
    clean,
    drop_duplicate_texts,
    keep_class_shares,
    label_values,
    merged_lines,
    named_counts,
    read_dataset,
    unknown_labels,
    where,
)

name, ds = snakemake.wildcards.dataset, snakemake.params.dataset
labels, origin = ds["labels"], ds["origin"]
by = origin["label_values"]
raw = read_dataset(name, origin, labels, Path(snakemake.params.cache))
rows, drops = clean(raw, labels, snakemake.params.on_bad_rows, by, where(origin))
if ds["drop_duplicate_texts"]:
    rows, repeats = drop_duplicate_texts(rows)
    drops.update(repeats)
rows, left_out = keep_class_shares(rows, ds["class_keep"], labels, snakemake.params.seed)
drops.update(left_out)
unknown = unknown_labels(raw, labels, by)
check_classes(name, rows, labels, label_values(raw, labels), ds["class_keep"], by)
check_dropped_share(name, len(raw), drops, snakemake.params.max_dropped_share, unknown)

malformed = {r: drops[r] for r in MALFORMED if drops[r]}
if malformed:
    # On the console too (the log is read only when a job fails): what was lost and why.
    what = ", ".join(f"{r} {n}" for r, n in malformed.items())
    values = f"; unknown label values: {named_counts(unknown)}" if unknown else ""
    merged = merged_lines(raw)
    merged = f"; records that swallowed further rows (an unmatched quote?): {merged}" * bool(merged)
    print(
        f"dataset {name!r}: dropped {sum(malformed.values())} of {len(raw)} rows "
        f"({what}{values}{merged}); see {snakemake.output.report}",
        file=sys.__stderr__,
    )
rows.to_parquet(snakemake.output.rows, index=False)
counts = rows.label.value_counts().sort_index()
summary = {
    "read": len(raw),
    "kept": len(rows),
    "dropped": dict(drops),
    "unknown_labels": dict(unknown.most_common()),
    "labels": {labels[k]: int(v) for k, v in counts.items()},
}
if merged_lines(raw):
    summary["merged_rows"] = merged_lines(raw, limit=1000)
Path(snakemake.output.report).write_text(json.dumps(summary, indent=2))
