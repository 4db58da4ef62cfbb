from labelrisk.logs import to_log

to_log(snakemake.log[0])

import json
from pathlib import Path

import numpy as np
import pandas as pd

from labelrisk.grid import Source
from labelrisk.labels.calibration import calibrated_members
from labelrisk.labels.filters import cleanlab_issues
from labelrisk.labels.training_sets import label, sample

source = Source.parse(snakemake.wildcards.source)
pool = pd.read_parquet(snakemake.input.pool)
val = pd.read_parquet(snakemake.input.val)
members = [pd.read_parquet(p).set_index("id") for p in snakemake.input.annotations]
mit = snakemake.params.mitigations
emb = pd.read_parquet(snakemake.input.embeddings) if snakemake.input.embeddings else None
flagged = None
if source.calibration is not None:
    # Calibrated on every item the teacher labelled (pool and validation set), no gold.
    meta = json.loads(Path(snakemake.input.meta).read_text()) if snakemake.input.meta else None
    members = calibrated_members(
        members,
        source.calibration,
        snakemake.params.calibration["prior_em"],
        meta,
        snakemake.params.labels,
        snakemake.wildcards.dataset,
        source.teacher,
    )
    changed = (members[0].pred != members[0].raw_pred).sum()
    print(f"{source.calibration} calibration changes {changed} of {len(members[0])} teacher labels")
if source.method.startswith("cleanlab"):
    # Confident learning sees every item the teacher labelled (pool and validation), no gold.
    ids = emb.index
    issues = cleanlab_issues(
        emb.to_numpy(),
        members[0].loc[ids, "pred"].to_numpy(),
        snakemake.params.n_classes,
        mit["cleanlab_folds"],
        snakemake.params.seed,
    )
    flagged = set(ids[issues])
    print(f"cleanlab flags {issues.sum()} of {len(ids)} teacher labels")
extra = {"embeddings": emb, "flagged": flagged, "audit": mit["learned_audit"]}


def labelled(items, source, split):
    out = label(items, source, members, **extra)
    out["split"] = np.where(out.keep, split, "dropped")
    return out.drop(columns="keep")


# Validation labels depend only on the source, not on seed or size.
val_source = Source(None, "gold") if snakemake.params.validation_labels == "gold" else source
val_set = labelled(val, val_source, "val")
pool_idx = pool.set_index("id")
paths = {p.rsplit("/", 1)[-1]: p for p in snakemake.output}
for size in snakemake.params.sizes:
    for seed in snakemake.params.seeds:
        ids = sample(pool.id.tolist(), seed, size)
        train = labelled(pool_idx.loc[ids].reset_index(), source, "train")
        if "ranked_by" in train:
            print(f"n{size} seed{seed}: non-audited items ranked by {train.ranked_by.iloc[0]}")
        dropped = (train.split == "dropped").sum()
        if dropped:
            print(f"n{size} seed{seed}: {dropped} flagged items dropped")
        pd.concat([train, val_set], ignore_index=True).to_parquet(
            paths[f"n{size}_seed{seed}.parquet"], index=False
        )
