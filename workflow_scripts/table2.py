from labelrisk.logs import to_log

to_log(snakemake.log[0])

import pandas as pd

from labelrisk.tables import paper_table, table2_sources, write

summary = pd.read_csv(snakemake.input[0])
sources = table2_sources(summary, snakemake.params.mitigation_teachers)
table = paper_table(summary, snakemake.params.datasets, sources)
caption = "Table 2: entropy filtering and consistency ensemble, largest size (x100)."
write(table, *snakemake.output, caption)
