from labelrisk.logs import to_log

to_log(snakemake.log[0])

import pandas as pd

from labelrisk.evaluation.evaluate import evaluate_source, item_predictions
from labelrisk.evaluation.metrics import CollapseRule
from labelrisk.students.jobs import split_runs

test = pd.read_parquet(snakemake.input.test)
runs = [tuple(r) for r in snakemake.params.runs]
# Each job's table holds its runs' rows; the evaluation reads them run by run.
predictions = split_runs([pd.read_parquet(p) for p in snakemake.input.predictions], runs)
label_sets = split_runs([pd.read_parquet(p) for p in snakemake.input.label_sets], runs)
key = {"dataset": snakemake.wildcards.dataset, "source": snakemake.wildcards.source}
table = evaluate_source(
    test,
    runs,
    predictions,
    label_sets,
    snakemake.params.n_classes,
    CollapseRule(**snakemake.params.collapse),
)
pd.concat([pd.DataFrame(key, index=table.index), table], axis=1).to_parquet(
    snakemake.output.metrics, index=False
)
items = item_predictions(test, runs, predictions)
pd.concat([pd.DataFrame(key, index=items.index), items], axis=1).to_parquet(
    snakemake.output.per_item, index=False
)
