"""Confident learning (cleanlab) on the teacher's labels: flagged items relabelled with gold
(`cleanlab_relabel`) or dropped (`cleanlab_drop`)."""

import dataclasses
import logging

import numpy as np

from labelrisk.labels.mitigations.registry import Mitigation, register, relabel

log = logging.getLogger(__name__)


def prepare(ctx, params):
    """Flags over every item the teacher labelled (pool and validation set), no gold."""
    from labelrisk.labels.filters import cleanlab_issues  # sklearn, cleanlab: not at parse time

    ids = ctx.embeddings.index
    issues = cleanlab_issues(
        ctx.embeddings.to_numpy(),
        ctx.members[0].loc[ids, "pred"].to_numpy(),
        ctx.n_classes,
        ctx.settings["mitigations.cleanlab_folds"],
        ctx.settings["splits.seed"],
    )
    log.info("cleanlab flags %d of %d teacher labels", issues.sum(), len(ids))
    return dataclasses.replace(ctx, flagged=set(ids[issues]))


def build(out, ann, params, ctx):
    pred = ann[0]["pred"].to_numpy()
    issues = out["id"].isin(ctx.flagged).to_numpy()
    if params["variant"] == "relabel":
        return relabel(out, pred, issues, pred)
    out["keep"] = ~issues
    return relabel(out, pred, np.zeros(len(out), dtype=bool), pred)


register(
    Mitigation(
        "cleanlab",
        r"cleanlab_(?P<variant>relabel|drop)",
        build,
        display=lambda t, p: f"Cleanlab {p['variant']} ({t})",
        rank=40,
        gold=lambda n, p: None if p["variant"] == "relabel" else 0,  # relabel: one per flag
        keys=("cleanlab", "cleanlab_folds"),
        methods=lambda c: [f"cleanlab_{v}" for v in c["mitigations"].get("cleanlab", [])],
        prepare=prepare,
        needs_embeddings=True,
        settings=("mitigations.cleanlab_folds", "splits.seed"),
    )
)
