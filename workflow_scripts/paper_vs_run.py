from labelrisk.logs import to_log

to_log(snakemake.log[0])

import pandas as pd

from labelrisk.artefacts.reference import beside, beside_markdown, load

long = beside(load(snakemake.input.reference), pd.read_csv(snakemake.input.summary))
long.to_csv(snakemake.output.csv, index=False)
with open(snakemake.output.md, "w") as f:
    f.write(beside_markdown(long))
