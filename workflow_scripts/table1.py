from labelrisk.logs import to_log

to_log(snakemake.log[0])

import pandas as pd  # noqa: E402

from labelrisk.tables import paper_table, write  # noqa: E402

summary = pd.read_csv(snakemake.input[0])
sources = ["gold"] + [f"{t}/llm" for t in snakemake.params.teachers]
table = paper_table(summary, snakemake.params.datasets, sources)
write(
    table,
    snakemake.output.csv,
    snakemake.output.md,
    snakemake.output.tex,
    "Table 1: students trained on gold and on teacher labels, at the largest size (x100).",
)
