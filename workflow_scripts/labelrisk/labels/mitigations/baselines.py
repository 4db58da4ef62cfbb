"""The two baselines every grid holds: gold labels, and each teacher's plain labels (member 0).
They are not mitigations (no `mitigations.*` key): the grid adds them itself."""

from labelrisk.labels.mitigations.registry import Inputs, Mitigation, Naming, register, relabel
from labelrisk.labels.mitigations.source import GOLD, LLM


def gold(out, ann, params, ctx):
    return relabel(out, out["gold"].to_numpy(), True, -1)


def llm(out, ann, params, ctx):
    pred = ann[0]["pred"].to_numpy()
    return relabel(out, pred, False, pred)


register(
    Mitigation(
        "gold",
        Naming(GOLD, lambda t, p: "Gold", rank=0, paper=GOLD),
        gold,
        inputs=Inputs(members="none"),
        gold=lambda n, p: n,
    )
)
register(Mitigation("llm", Naming(LLM, lambda t, p: t, rank=1, paper=LLM), llm))
