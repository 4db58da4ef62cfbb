from labelrisk.logs import to_log

to_log(snakemake.log[0])

import json
from pathlib import Path

import pandas as pd

from labelrisk.evaluation.evaluate import calibrated_teacher_rows, teacher_table

pool = pd.read_parquet(snakemake.input.pool)
members = [pd.read_parquet(p) for p in snakemake.input.annotations]
table = teacher_table(pool, members, snakemake.params.n_classes, snakemake.params.bins)
# Member 0 again after each gold-free calibration of the grid (mitigations.calibrated).
meta = json.loads(Path(snakemake.input.meta).read_text()) if snakemake.input.meta else None
calibrated = calibrated_teacher_rows(
    pool,
    members[0],
    snakemake.params.calibrated,
    snakemake.params.prior_em,
    meta,
    snakemake.params.labels,
    snakemake.params.bins,
    f"dataset {snakemake.wildcards.dataset!r}, teacher {snakemake.wildcards.teacher!r}",
)
table = pd.concat([table, calibrated], ignore_index=True)
table.insert(0, "teacher", snakemake.wildcards.teacher)
table.insert(0, "dataset", snakemake.wildcards.dataset)
table.to_parquet(snakemake.output[0], index=False)
