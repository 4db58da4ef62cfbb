from labelrisk.logs import to_log

to_log(snakemake.log[0])

import pandas as pd

from labelrisk.evaluate import teacher_table

table = teacher_table(
    pd.read_parquet(snakemake.input.pool),
    [pd.read_parquet(p) for p in snakemake.input.annotations],
    snakemake.params.n_classes,
    snakemake.params.bins,
)
table.insert(0, "teacher", snakemake.wildcards.teacher)
table.insert(0, "dataset", snakemake.wildcards.dataset)
table.to_parquet(snakemake.output[0], index=False)
