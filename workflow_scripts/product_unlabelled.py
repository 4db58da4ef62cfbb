"""A dataset's unlabelled rows: read, malformed rows and rows of the study's splits left out and
counted (labelrisk.product.unlabelled)."""

from labelrisk.logs import to_log

to_log(snakemake.log[0])

import json
from pathlib import Path

from labelrisk.product.unlabelled import splits_of, unlabelled_table

inp, p = snakemake.input, snakemake.params
rows, report = unlabelled_table(
    snakemake.wildcards.dataset,
    p.origin,
    splits_of([inp.pool, inp.val, inp.test]),
    Path(p.cache),
    p.on_bad_rows,
)
rows.to_parquet(snakemake.output.rows, index=False)
Path(snakemake.output.report).write_text(json.dumps(report, indent=2))
