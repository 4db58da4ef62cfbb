"""Training sets: which pool items a (seed, size) run sees, and which labels they carry.

Sizes are nested within a seed: the seed fixes one permutation of the pool and size n takes
its first n items, so the 500-item set contains the 250-item set.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from labelrisk.labels.mitigations import Context, Source


def sample(pool_ids: Sequence[str], seed: int, size: int) -> list[str]:
    if size > len(pool_ids):
        raise ValueError(f"size {size} exceeds the pool ({len(pool_ids)} items)")
    order = np.random.default_rng(seed).permutation(len(pool_ids))
    ids = np.asarray(pool_ids)
    return ids[order[:size]].tolist()


def label(
    items: pd.DataFrame,
    source: Source,
    members: list[pd.DataFrame] | None = None,
    embeddings: pd.DataFrame | None = None,
    flagged: set[str] | None = None,
    audit: int = 16,
    *,
    context: Context | None = None,
) -> pd.DataFrame:
    """Labels of `items` (id, text, label = gold) under a source, by its family's builder
    (labelrisk.labels.mitigations).

    Columns: id, text, gold, label (what the student trains on), is_gold (label replaced by
    gold, or gold throughout), teacher_label (member 0, -1 for gold), keep (False for items a
    filter drops), and what a family adds (soft: p_k; calibrated: cal_p_k, cal_entropy; learned:
    ranked_by; teacher sources: no_label, an item a member gave no label and gold does not
    replace, never trained on: keep False). `members` are the teacher's annotations (member 0
    first) indexed by id; `embeddings` (indexed by id) feed the learned filter; `flagged` are
    the ids confident learning flags. `context` (from label_sets.build) carries all of these
    at once.
    """
    ctx = context or Context(
        source,
        members,
        embeddings,
        flagged=frozenset(flagged or ()),
        settings={"mitigations.learned_audit": audit},
    )
    out = items[["id", "text"]].copy()
    out["gold"] = items["label"].to_numpy()
    out["keep"] = True
    m, params = source.mitigation, source.params
    ann = None if source.members == "none" else [a.loc[items.id] for a in ctx.members]
    out = m.build(out, ann, params, ctx)
    if ann is not None:
        out = without_no_label(out, ann)
    budget = m.gold(len(out), params)
    if budget is not None and int(np.sum(out["is_gold"])) != budget:
        raise ValueError(f"{source.id}: {int(np.sum(out['is_gold']))} gold labels, not {budget}")
    return out


def without_no_label(out: pd.DataFrame, ann: list[pd.DataFrame]) -> pd.DataFrame:
    """`no_label` True (and `keep` False) where a member the source reads answered no label
    (a server teacher's item without a label token, given the uniform distribution as a
    placeholder) and the label is not gold: its argmax would train as the first class. A
    member without the column labelled every item."""
    none = np.zeros(len(out), dtype=bool)
    for a in ann:
        if "no_label" in a:
            none |= a["no_label"].fillna(False).to_numpy(dtype=bool)
    out["no_label"] = none & ~out["is_gold"].to_numpy(dtype=bool)
    out.loc[out["no_label"], "keep"] = False
    return out
