"""The paper's entropy filtering: the alpha% of items with the highest teacher entropy get gold."""

import numpy as np

from labelrisk.labels.budget import gold_budget
from labelrisk.labels.mitigations.registry import Mitigation, Naming, alphas, register, relabel

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
        Naming(f"entropy{ALPHA}", lambda t, p: f"Entropy {p['alpha']:g}% ({t})", 10, "entropy"),
        build,
        switch=alphas("entropy_alphas", "entropy"),
        gold=lambda n, p: gold_budget(n, p["alpha"]),
        claims=("C5b",),
    )
)
