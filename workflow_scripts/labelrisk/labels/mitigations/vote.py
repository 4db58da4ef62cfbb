"""Majority vote over the teacher's members (gold-free; ties to the highest mean probability)."""

import numpy as np

from labelrisk.labels.mitigations.ensemble import several_members
from labelrisk.labels.mitigations.registry import Mitigation, probabilities, register, relabel


def build(out, ann, params, ctx):
    from labelrisk.labels.filters import majority_vote  # sklearn: not at parse time

    preds = np.stack([a["pred"].to_numpy() for a in ann])
    voted = majority_vote(preds, np.stack([probabilities(a) for a in ann]))
    return relabel(out, voted, np.zeros(len(out), dtype=bool), preds[0])


register(
    Mitigation(
        "vote",
        r"vote",
        build,
        display=lambda t, p: f"Vote ({t})",
        rank=50,
        members="all",
        keys=("vote",),
        methods=lambda c: ["vote"] if c["mitigations"].get("vote") and several_members(c) else [],
        check=lambda c: (
            []
            if not c["mitigations"].get("vote") or several_members(c)
            else ["mitigations.vote needs annotation.members >= 2"]
        ),
    )
)
