from labelrisk.logs import to_log

to_log(snakemake.log[0])

import pandas as pd

from labelrisk.artefacts.teacher_figures import (
    confusion_figure,
    diagnostics_table,
    reliability_figure,
)

teachers = pd.read_csv(snakemake.input[0])
labels = snakemake.params.labels
confusion_figure(teachers, labels).savefig(snakemake.output.confusion, dpi=150)
reliability_figure(teachers, list(labels)).savefig(snakemake.output.reliability, dpi=150)
table = diagnostics_table(teachers)
table.to_csv(snakemake.output.csv, index=False)
with open(snakemake.output.md, "w") as f:
    f.write(table.to_markdown(index=False, floatfmt=".3f") + "\n")
