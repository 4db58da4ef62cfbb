from labelrisk.logs import to_log

to_log(snakemake.log[0])

import pandas as pd

from labelrisk.artefacts.figure2 import figure2

fig = figure2(pd.read_csv(snakemake.input[0]), snakemake.params.datasets)
fig.savefig(snakemake.output.png, dpi=150)
fig.savefig(snakemake.output.pdf)
