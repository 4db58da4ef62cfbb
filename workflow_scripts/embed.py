from labelrisk.logs import to_log

to_log(snakemake.log[0])

import pandas as pd
import torch

from labelrisk.students.embeddings import embed

torch.set_num_threads(snakemake.threads)
items = pd.concat([pd.read_parquet(p) for p in (snakemake.input.pool, snakemake.input.val)])
embed(snakemake.input.student, items.id, items.text, snakemake.params.max_length).to_parquet(
    snakemake.output[0]
)
