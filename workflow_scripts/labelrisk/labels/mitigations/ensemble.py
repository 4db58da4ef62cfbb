"""The paper's consistency ensemble: items on which the teacher's members disagree get gold."""

import numpy as np

from labelrisk.labels.mitigations.registry import (
    Inputs,
    Mitigation,
    Naming,
    over_members,
    register,
    relabel,
)


def ensemble_filter(member_preds: np.ndarray) -> np.ndarray:
    """Mask of items on which the ensemble members (rows) do not all agree."""
    member_preds = np.asarray(member_preds)
    return (member_preds != member_preds[:1]).any(axis=0)


def build(out, ann, params, ctx):
    pred = ann[0]["pred"].to_numpy()
    return relabel(out, pred, ensemble_filter(np.stack([a["pred"].to_numpy() for a in ann])), pred)


register(
    Mitigation(
        "ensemble",
        Naming(r"ensemble", lambda t, p: f"Ensemble ({t})", rank=20, paper="ensemble"),
        build,
        switch=over_members("ensemble"),
        inputs=Inputs(members="all"),
        gold=lambda n, p: None,  # as many items as the members disagree on
        claims=("C5a",),
    )
)
