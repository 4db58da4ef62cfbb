"""A learned error filter at entropy's gold budget (labelrisk.labels.filters.learned_filter)."""

from labelrisk.labels.budget import gold_budget
from labelrisk.labels.mitigations.entropy import ALPHA
from labelrisk.labels.mitigations.registry import (
    Inputs,
    Mitigation,
    Naming,
    alphas,
    probabilities,
    register,
    relabel,
)

AUDIT = "mitigations.learned_audit"


def build(out, ann, params, ctx):
    from labelrisk.labels.filters import learned_filter  # sklearn: not at parse time

    pred = ann[0]["pred"].to_numpy()
    emb = ctx.embeddings.loc[out["id"]].to_numpy()
    gold = out["gold"].to_numpy()
    mask, out["ranked_by"] = learned_filter(
        emb, probabilities(ann[0]), pred, gold, params["alpha"], ctx.settings[AUDIT]
    )
    return relabel(out, pred, mask, pred)


register(
    Mitigation(
        "learned",
        Naming(f"learned{ALPHA}", lambda t, p: f"Learned filter {p['alpha']:g}% ({t})", rank=30),
        build,
        switch=alphas("learned_alphas", "learned"),
        inputs=Inputs(embeddings=True, settings=(AUDIT,)),
        gold=lambda n, p: gold_budget(n, p["alpha"]),  # the audit included
    )
)
