"""Majority vote over the teacher's members (gold-free; ties to the highest mean probability)."""

import numpy as np

from labelrisk.labels.mitigations.registry import (
    Inputs,
    Mitigation,
    Naming,
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


register(
    Mitigation(
        "vote",
        Naming(r"vote", lambda t, p: f"Vote ({t})", rank=50),
        build,
        switch=over_members("vote"),
        inputs=Inputs(members="all"),
    )
)
