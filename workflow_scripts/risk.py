from labelrisk.logs import to_log

to_log(snakemake.log[0])

import pandas as pd

from labelrisk.artefacts import risk
from labelrisk.artefacts.budget import gap_recovered
from labelrisk.evaluation.metrics import CollapseRule

p = snakemake.params
items = {
    key: pd.read_parquet(path) for key, path in zip(p.pairs, snakemake.input.per_item, strict=True)
}
recovered = gap_recovered(pd.read_csv(snakemake.input.summary))
claims = pd.read_csv(snakemake.input.claims)
table = risk.risk_table(
    items, recovered, p.labels, p.teachers, claims, CollapseRule(**p.collapse), p.level
)
table.to_csv(snakemake.output.csv, index=False)
with open(snakemake.output.md, "w") as f:
    f.write(risk.markdown(table, claims))
with open(snakemake.output.rst, "w") as f:
    f.write(risk.first_page(table, claims))
