from labelrisk.logs import to_log

to_log(snakemake.log[0])

import pandas as pd

from labelrisk.artefacts.budget import budget_figure, gap_recovered

recovered = gap_recovered(pd.read_csv(snakemake.input[0]))
recovered.to_csv(snakemake.output.csv, index=False)
budget_figure(recovered, snakemake.params.datasets).savefig(
    snakemake.output.png, dpi=150, bbox_inches="tight"
)
