from labelrisk.logs import to_log

to_log(snakemake.log[0])

import pandas as pd

from labelrisk.grid import Source
from labelrisk.labels import label, sample

source = Source.parse(snakemake.wildcards.source)
pool = pd.read_parquet(snakemake.input.pool)
val = pd.read_parquet(snakemake.input.val)
members = [pd.read_parquet(p).set_index("id") for p in snakemake.input.annotations]

# Validation labels depend only on the source, not on seed or size.
val_set = label(
    val, Source(None, "gold") if snakemake.params.validation_labels == "gold" else source, members
)
val_set["split"] = "val"
pool_idx = pool.set_index("id")
paths = {p.rsplit("/", 1)[-1]: p for p in snakemake.output}
for size in snakemake.params.sizes:
    for seed in snakemake.params.seeds:
        ids = sample(pool.id.tolist(), seed, size)
        train = label(pool_idx.loc[ids].reset_index(), source, members)
        train["split"] = "train"
        pd.concat([train, val_set], ignore_index=True).to_parquet(
            paths[f"n{size}_seed{seed}.parquet"], index=False
        )
