"""Every label set of one (dataset, source): the training set of each (size, seed) with its
labels, and the validation set, as the `label_sets` rule writes them."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

from labelrisk.labels.mitigations import Context, Source
from labelrisk.labels.training_sets import label, sample

log = logging.getLogger(__name__)


def build(
    source_id: str,
    pool: pd.DataFrame,
    val: pd.DataFrame,
    members: list[pd.DataFrame],
    sizes: Sequence[int],
    seeds: Sequence[int],
    *,
    settings: dict | None = None,
    validation_labels: str = "same_as_train",
    embeddings: pd.DataFrame | None = None,
    meta: dict | None = None,
    labels: Sequence[str] | None = None,
    dataset: str = "",
) -> dict[tuple[int, int], pd.DataFrame]:
    """{(size, seed): training set + validation set}, `split` telling train, val or dropped.

    `members` are the teacher's annotation members indexed by id (none for gold); `settings`
    the config values the source's family reads (labelrisk.grid.settings). What the source does
    is its family's (labelrisk.labels.mitigations): `prepare`, then `build`.
    """
    source = Source.parse(source_id)
    ctx = Context(
        source,
        members,
        embeddings,
        meta,
        labels=labels or (),
        settings=settings or {},
        dataset=dataset,
    )
    # Once per job, on every item the teacher labelled (pool and validation set), no gold:
    # calibration, confident learning's flags.
    if source.mitigation.prepare is not None:
        ctx = source.mitigation.prepare(ctx, source.params)

    def labelled(items, src, split):
        out = label(items, src, context=ctx)
        out["split"] = np.where(out.keep, split, "dropped")
        return out.drop(columns="keep")

    # Validation labels depend only on the source, not on seed or size.
    val_source = Source.gold_labels() if validation_labels == "gold" else source
    val_set = labelled(val, val_source, "val")
    if n := int(val_set.get("no_label", pd.Series(dtype=bool)).sum()):
        log.warning("validation set: %d items left out: the teacher gave no label", n)
    pool_idx = pool.set_index("id")
    out = {}
    for size in sizes:
        for s in seeds:
            train = labelled(
                pool_idx.loc[sample(pool.id.tolist(), s, size)].reset_index(), source, "train"
            )
            if "ranked_by" in train:
                log.info(
                    "n%d seed%d: non-audited items ranked by %s", size, s, train.ranked_by.iloc[0]
                )
            none = train["no_label"].to_numpy() if "no_label" in train else False
            if dropped := int(((train.split == "dropped") & ~none).sum()):
                log.info("n%d seed%d: %d flagged items dropped", size, s, dropped)
            if n := int(np.sum(none)):
                log.warning(
                    "n%d seed%d: %d of %d items left out: the teacher gave no label "
                    "(no_label; never trained as a class)",
                    size,
                    s,
                    n,
                    size,
                )
            out[(size, s)] = pd.concat([train, val_set], ignore_index=True)
    return out
