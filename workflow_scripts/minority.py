from labelrisk.logs import to_log

to_log(snakemake.log[0])

import pandas as pd

from labelrisk.artefacts.minority import class_f1_drop, minority_figure

drops = class_f1_drop(
    pd.read_csv(snakemake.input.summary),
    pd.read_csv(snakemake.input.teachers),
    snakemake.params.labels,
)
drops.to_csv(snakemake.output.csv, index=False)
with open(snakemake.output.md, "w") as f:
    f.write(
        "Per-class F1 at the largest size, gold vs each teacher's labels, largest drop first.\n\n"
    )
    f.write(drops.to_markdown(index=False, floatfmt=".3f") + "\n")
minority_figure(drops, list(snakemake.params.labels)).savefig(snakemake.output.png, dpi=150)
