from labelrisk.logs import to_log

to_log(snakemake.log[0])

import pandas as pd

from labelrisk.evaluation.evaluate import evaluate_source, item_predictions

test = pd.read_parquet(snakemake.input.test)
runs = snakemake.params.runs
key = {"dataset": snakemake.wildcards.dataset, "source": snakemake.wildcards.source}
table = evaluate_source(
    test,
    runs,
    snakemake.input.predictions,
    snakemake.input.label_sets,
    snakemake.params.n_classes,
    snakemake.params.collapse_share,
)
pd.concat([pd.DataFrame(key, index=table.index), table], axis=1).to_parquet(
    snakemake.output.metrics, index=False
)
items = item_predictions(test, runs, snakemake.input.predictions)
pd.concat([pd.DataFrame(key, index=items.index), items], axis=1).to_parquet(
    snakemake.output.per_item, index=False
)
