from labelrisk.logs import to_log

to_log(snakemake.log[0])

import pandas as pd

from labelrisk.artefacts.coverage import metric_gaps, require
from labelrisk.grid import Source

grid = snakemake.params
summary = pd.concat([pd.read_parquet(p) for p in snakemake.input.metrics], ignore_index=True)
require(
    metric_gaps(summary, grid.datasets, grid.sources, grid.sizes, grid.seeds),
    "the metrics tables (results/metrics/)",
)
parsed = [Source.parse(s) for s in summary.source]
summary.insert(2, "teacher", [s.teacher or "" for s in parsed])
summary.insert(3, "method", [s.method for s in parsed])
# Per-class columns last, in class order, whatever the datasets' class counts.
cls = sorted(
    (c for c in summary if c.startswith("f1_class_")), key=lambda c: int(c.rsplit("_", 1)[1])
)
summary = summary[[c for c in summary if c not in cls] + cls]
summary.to_csv(snakemake.output.summary, index=False)
