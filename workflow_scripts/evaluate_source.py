from labelrisk.logs import to_log

to_log(snakemake.log[0])

import pandas as pd

from labelrisk.analysis.evaluate import evaluate_source, item_predictions

test = pd.read_parquet(snakemake.input.test)
table = evaluate_source(
    test,
    snakemake.input.predictions,
    snakemake.input.label_sets,
    snakemake.params.n_classes,
)
table.insert(0, "source", snakemake.wildcards.source)
table.insert(0, "dataset", snakemake.wildcards.dataset)
table.to_parquet(snakemake.output.metrics, index=False)
item_predictions(test, snakemake.input.predictions).to_parquet(
    snakemake.output.per_item, index=False
)
