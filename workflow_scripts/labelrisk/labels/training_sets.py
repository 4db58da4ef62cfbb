"""Training sets: which pool items a (seed, size) run sees, and which labels they carry.

Sizes are nested within a seed: the seed fixes one permutation of the pool and size n takes
its first n items, so the 500-item set contains the 250-item set.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from labelrisk.grid import GOLD, Source, gold_budget
from labelrisk.labels.filters import learned_filter, majority_vote


def sample(pool_ids: Sequence[str], seed: int, size: int) -> list[str]:
    if size > len(pool_ids):
        raise ValueError(f"size {size} exceeds the pool ({len(pool_ids)} items)")
    order = np.random.default_rng(seed).permutation(len(pool_ids))
    ids = np.asarray(pool_ids)
    return ids[order[:size]].tolist()


def entropy_filter(ent: np.ndarray, alpha: float) -> np.ndarray:
    """Mask of items whose label becomes gold: the top alpha% by teacher entropy.

    Ties are broken by position, so the choice is deterministic.
    """
    k = gold_budget(len(ent), alpha)
    order = np.argsort(-np.asarray(ent), kind="stable")
    mask = np.zeros(len(ent), dtype=bool)
    mask[order[:k]] = True
    return mask


def ensemble_filter(member_preds: np.ndarray) -> np.ndarray:
    """Mask of items on which the ensemble members (rows) do not all agree."""
    member_preds = np.asarray(member_preds)
    return (member_preds != member_preds[:1]).any(axis=0)


def probabilities(ann: pd.DataFrame) -> np.ndarray:
    cols = sorted((c for c in ann if c.startswith("p_")), key=lambda c: int(c[2:]))
    return ann[cols].to_numpy()


def label(
    items: pd.DataFrame,
    source: Source,
    members: list[pd.DataFrame] | None,
    embeddings: pd.DataFrame | None = None,
    flagged: set[str] | None = None,
    audit: int = 16,
) -> pd.DataFrame:
    """Labels of `items` (id, text, label = gold) under a source.

    Columns: id, text, gold, label (what the student trains on), is_gold (label replaced by
    gold, or gold throughout), teacher_label (member 0, -1 for gold), keep (False for items a
    filter drops); `soft` adds the teacher's p_0..p_{K-1}, which the student then learns.
    Calibrated sources (`calibrated_prior`, `calibrated_cf`, `..._entropy<alpha>`) take member 0
    already calibrated (labelrisk.labels.calibration.calibrated_members: `pred`, `entropy` and p_k
    calibrated, the teacher's own label in `raw_pred`); they label by the calibrated argmax and
    record the calibrated distribution (`cal_p_0..cal_p_{K-1}`) and its entropy (`cal_entropy`).

    `members` are the teacher's annotations (member 0 first) indexed by id; the plain LLM label
    is member 0's prediction. `embeddings` (indexed by id) feed the learned filter; `flagged`
    are the ids confident learning flags.
    """
    out = items[["id", "text"]].copy()
    gold = items["label"].to_numpy()
    out["gold"] = gold
    out["keep"] = True
    if source.method == GOLD:
        out["label"], out["is_gold"], out["teacher_label"] = gold, True, -1
        return out
    ann = [m.loc[items.id] for m in members]
    llm = ann[0]["pred"].to_numpy()
    mask = np.zeros(len(items), dtype=bool)
    if source.method in ("llm", "soft", "vote"):
        pass
    elif source.learned_alpha is not None:
        emb = embeddings.loc[items.id].to_numpy()
        mask, out["ranked_by"] = learned_filter(
            emb, probabilities(ann[0]), llm, gold, source.learned_alpha, audit
        )
    elif source.method in ("cleanlab_relabel", "cleanlab_drop"):
        issues = items.id.isin(flagged).to_numpy()
        if source.method == "cleanlab_relabel":
            mask = issues
        else:
            out["keep"] = ~issues
    elif source.entropy_alpha is not None:
        mask = entropy_filter(ann[0]["entropy"].to_numpy(), source.entropy_alpha)
    elif source.calibration is not None:
        if "raw_pred" not in ann[0]:
            raise ValueError(f"{source.id}: member 0 must be calibrated first (calibrated_members)")
        if source.calibrated_entropy_alpha is not None:
            mask = entropy_filter(ann[0]["entropy"].to_numpy(), source.calibrated_entropy_alpha)
    elif source.method == "ensemble":
        mask = ensemble_filter(np.stack([a["pred"].to_numpy() for a in ann]))
    else:
        raise ValueError(f"unknown label source {source.id!r}")
    if source.method == "vote":
        llm = majority_vote(
            np.stack([a["pred"].to_numpy() for a in ann]), np.stack([probabilities(a) for a in ann])
        )
    out["label"] = np.where(mask, gold, llm)
    out["is_gold"] = mask
    out["teacher_label"] = ann[0]["pred"].to_numpy()
    if source.calibration is not None:
        out["teacher_label"] = ann[0]["raw_pred"].to_numpy()
        for k, p in enumerate(probabilities(ann[0]).T):
            out[f"cal_p_{k}"] = p
        out["cal_entropy"] = ann[0]["entropy"].to_numpy()
    if source.method == "soft":
        for k, p in enumerate(probabilities(ann[0]).T):
            out[f"p_{k}"] = p
    return out
