"""The paper's entropy filtering: the alpha% of items with the highest teacher entropy get gold."""

import numpy as np

from labelrisk.labels.mitigations.registry import (
    Mitigation,
    alpha_tag,
    gold_budget,
    register,
    relabel,
)

ALPHA = r"(?P<alpha>\d+(?:\.\d+)?)"


def entropy_filter(ent: np.ndarray, alpha: float) -> np.ndarray:
    """Mask of items whose label becomes gold: the top alpha% by teacher entropy.

    Ties are broken by position, so the choice is deterministic.
    """
    k = gold_budget(len(ent), alpha)
    order = np.argsort(-np.asarray(ent), kind="stable")
    mask = np.zeros(len(ent), dtype=bool)
    mask[order[:k]] = True
    return mask


def build(out, ann, params, ctx):
    pred = ann[0]["pred"].to_numpy()
    return relabel(out, pred, entropy_filter(ann[0]["entropy"].to_numpy(), params["alpha"]), pred)


register(
    Mitigation(
        "entropy",
        f"entropy{ALPHA}",
        build,
        display=lambda t, p: f"Entropy {p['alpha']:g}% ({t})",
        rank=10,
        gold=lambda n, p: gold_budget(n, p["alpha"]),
        keys=("entropy_alphas",),
        methods=lambda c: [
            alpha_tag(a, "entropy") for a in c["mitigations"].get("entropy_alphas", [])
        ],
        claims=("C5b",),
    )
)
