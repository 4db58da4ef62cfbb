"""A learned error filter at entropy's gold budget (labelrisk.labels.filters.learned_filter)."""

from labelrisk.labels.mitigations.entropy import ALPHA
from labelrisk.labels.mitigations.registry import (
    Mitigation,
    alpha_tag,
    gold_budget,
    probabilities,
    register,
    relabel,
)


def build(out, ann, params, ctx):
    from labelrisk.labels.filters import learned_filter  # sklearn: not at parse time

    pred = ann[0]["pred"].to_numpy()
    emb = ctx.embeddings.loc[out["id"]].to_numpy()
    mask, out["ranked_by"] = learned_filter(
        emb,
        probabilities(ann[0]),
        pred,
        out["gold"].to_numpy(),
        params["alpha"],
        ctx.settings["mitigations.learned_audit"],
    )
    return relabel(out, pred, mask, pred)


register(
    Mitigation(
        "learned",
        f"learned{ALPHA}",
        build,
        display=lambda t, p: f"Learned filter {p['alpha']:g}% ({t})",
        rank=30,
        gold=lambda n, p: gold_budget(n, p["alpha"]),  # the audit included
        keys=("learned_alphas", "learned_audit"),
        methods=lambda c: [
            alpha_tag(a, "learned") for a in c["mitigations"].get("learned_alphas", [])
        ],
        needs_embeddings=True,
        settings=("mitigations.learned_audit",),
    )
)
