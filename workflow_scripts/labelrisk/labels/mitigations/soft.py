"""Soft targets: the student learns member 0's class distribution (p_0..p_{K-1})."""

import numpy as np

from labelrisk.labels.mitigations.registry import (
    Mitigation,
    Naming,
    Switch,
    probabilities,
    register,
    relabel,
)


def build(out, ann, params, ctx):
    pred = ann[0]["pred"].to_numpy()
    out = relabel(out, pred, np.zeros(len(out), dtype=bool), pred)
    for k, p in enumerate(probabilities(ann[0]).T):
        out[f"p_{k}"] = p
    return out


register(
    Mitigation(
        "soft",
        Naming(r"soft", lambda t, p: f"Soft ({t})", rank=60),
        build,
        switch=Switch(("soft",), lambda c: ["soft"] if c["mitigations"].get("soft") else []),
    )
)
