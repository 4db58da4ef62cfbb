"""The two baselines every grid holds: gold labels, and each teacher's plain labels (member 0).
They are not mitigations (no `mitigations.*` key): the grid adds them itself."""

from labelrisk.labels.mitigations.registry import Mitigation, register, relabel


def gold(out, ann, params, ctx):
    return relabel(out, out["gold"].to_numpy(), True, -1)


def llm(out, ann, params, ctx):
    pred = ann[0]["pred"].to_numpy()
    return relabel(out, pred, False, pred)


GOLD = register(
    Mitigation(
        "gold",
        r"gold",
        gold,
        display=lambda t, p: "Gold",
        rank=0,
        members="none",
        gold=lambda n, p: n,
    )
)
LLM = register(Mitigation("llm", r"llm", llm, display=lambda t, p: t, rank=1))
