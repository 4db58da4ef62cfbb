from labelrisk.logs import to_log

to_log(snakemake.log[0])

import pandas as pd

from labelrisk.artefacts.budget import with_gold_budget
from labelrisk.artefacts.tables import paper_table, table2_sources, write

summary = pd.read_csv(snakemake.input[0])
sources = table2_sources(summary, snakemake.params.mitigation_teachers)
table = paper_table(summary, snakemake.params.datasets, sources)
table = with_gold_budget(table, summary, snakemake.params.datasets)
caption = (
    "Table 2: mitigations and baselines, largest size (x100); gold: training labels replaced "
    "by gold (mean over seeds) / validation labels replaced by gold."
)
write(table, *snakemake.output, caption)
