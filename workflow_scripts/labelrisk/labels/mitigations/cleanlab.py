"""Confident learning (cleanlab) on the teacher's labels: flagged items relabelled with gold
(`cleanlab_relabel`) or dropped (`cleanlab_drop`)."""

import dataclasses
import logging

import numpy as np

from labelrisk.labels.mitigations.registry import (
    Inputs,
    Mitigation,
    Naming,
    Switch,
    register,
    relabel,
)

log = logging.getLogger(__name__)
FOLDS, SEED = "mitigations.cleanlab_folds", "splits.seed"


def prepare(ctx, params):
    """Flags over every item the teacher labelled (pool and validation set), no gold."""
    from labelrisk.labels.filters import cleanlab_issues  # sklearn, cleanlab: not at parse time

    ids = ctx.embeddings.index
    issues = cleanlab_issues(
        ctx.embeddings.to_numpy(),
        ctx.members[0].loc[ids, "pred"].to_numpy(),
        len(ctx.labels),
        ctx.settings[FOLDS],
        ctx.settings[SEED],
    )
    log.info("cleanlab flags %d of %d teacher labels", issues.sum(), len(ids))
    return dataclasses.replace(ctx, flagged=frozenset(ids[issues]))


def build(out, ann, params, ctx):
    pred = ann[0]["pred"].to_numpy()
    issues = out["id"].isin(ctx.flagged).to_numpy()
    if params["variant"] == "relabel":
        return relabel(out, pred, issues, pred)
    out["keep"] = ~issues
    return relabel(out, pred, np.zeros(len(out), dtype=bool), pred)


def methods(config: dict) -> list[str]:
    return [f"cleanlab_{v}" for v in config["mitigations"].get("cleanlab", [])]


register(
    Mitigation(
        "cleanlab",
        Naming(
            r"cleanlab_(?P<variant>relabel|drop)", lambda t, p: f"Cleanlab {p['variant']} ({t})", 40
        ),
        build,
        switch=Switch(("cleanlab",), methods),
        inputs=Inputs(embeddings=True, settings=(FOLDS, SEED)),
        gold=lambda n, p: None if p["variant"] == "relabel" else 0,  # relabel: one per flag
        prepare=prepare,
    )
)
