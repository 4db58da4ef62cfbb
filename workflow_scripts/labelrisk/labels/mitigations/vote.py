"""Majority vote over the teacher's members (gold-free; ties to the highest mean probability)."""

import numpy as np

from labelrisk.labels.mitigations.registry import (
    Mitigation,
    over_members,
    probabilities,
    register,
    relabel,
)


def build(out, ann, params, ctx):
    from labelrisk.labels.filters import majority_vote  # sklearn: not at parse time

    preds = np.stack([a["pred"].to_numpy() for a in ann])
    voted = majority_vote(preds, np.stack([probabilities(a) for a in ann]))
    return relabel(out, voted, np.zeros(len(out), dtype=bool), preds[0])


methods, check = over_members("vote")

register(
    Mitigation(
        "vote",
        r"vote",
        build,
        display=lambda t, p: f"Vote ({t})",
        rank=50,
        members="all",
        keys=("vote",),
        methods=methods,
        check=check,
    )
)
