from labelrisk.logs import to_log

to_log(snakemake.log[0])

import pandas as pd  # noqa: E402

from labelrisk.tables import paper_table, write  # noqa: E402

summary = pd.read_csv(snakemake.input[0])
sources = ["gold"]
for t in snakemake.params.mitigation_teachers:
    sources += [s for s in dict.fromkeys(summary.source) if s.startswith(f"{t}/")]
table = paper_table(summary, snakemake.params.datasets, sources)
write(
    table,
    snakemake.output.csv,
    snakemake.output.md,
    snakemake.output.tex,
    "Table 2: mitigations (entropy filtering, consistency ensemble), largest size (x100).",
)
