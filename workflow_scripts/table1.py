from labelrisk.logs import to_log

to_log(snakemake.log[0])

import pandas as pd

from labelrisk.artefacts.tables import paper_table, table1_sources, write

summary = pd.read_csv(snakemake.input[0])
table = paper_table(summary, snakemake.params.datasets, table1_sources(snakemake.params.teachers))
caption = "Table 1: students trained on gold and on teacher labels, largest size (x100)."
write(table, *snakemake.output, caption)
