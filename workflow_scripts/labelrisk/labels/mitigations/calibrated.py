"""Gold-free calibration of the teacher's label bias (docs/calibration.md): the calibrated
argmax (`calibrated_prior`, `calibrated_cf`), optionally with entropy filtering on the calibrated
distributions (`calibrated_<prior|cf>_entropy<alpha>`, at entropy's gold budget)."""

import dataclasses
import logging

import numpy as np

from labelrisk.labels.budget import gold_budget
from labelrisk.labels.calibration import calibrated_members
from labelrisk.labels.mitigations.entropy import ALPHA, entropy_filter
from labelrisk.labels.mitigations.registry import (
    Inputs,
    Mitigation,
    Naming,
    Switch,
    alpha_tag,
    probabilities,
    register,
    relabel,
)

log = logging.getLogger(__name__)
# Tag in the method name -> labelrisk.labels.calibration method (`mitigations.calibrated`).
KINDS = {"prior": "prior", "cf": "content_free"}
TAGS = {method: f"calibrated_{tag}" for tag, method in KINDS.items()}
PRIOR_EM = "calibration.prior_em"


def prepare(ctx, params):
    """Member 0 calibrated on every item the teacher labelled (pool and validation set)."""
    kind = KINDS[params["kind"]]
    members = calibrated_members(
        ctx.members,
        kind,
        ctx.settings[PRIOR_EM],
        ctx.meta,
        ctx.labels,
        ctx.dataset,
        ctx.source.teacher,
    )
    changed = int((members[0].pred != members[0].raw_pred).sum())
    log.info("%s calibration changes %d of %d teacher labels", kind, changed, len(members[0]))
    return dataclasses.replace(ctx, members=members)


def build(out, ann, params, ctx):
    """Labels by the calibrated argmax; records the calibrated distribution (cal_p_k) and its
    entropy (cal_entropy); teacher_label stays the teacher's own label (raw_pred)."""
    if "raw_pred" not in ann[0]:
        raise ValueError(f"{ctx.source.id}: member 0 must be calibrated first (calibrated_members)")
    mask = np.zeros(len(out), dtype=bool)
    if "alpha" in params:
        mask = entropy_filter(ann[0]["entropy"].to_numpy(), params["alpha"])
    out = relabel(out, ann[0]["pred"].to_numpy(), mask, ann[0]["raw_pred"].to_numpy())
    for k, p in enumerate(probabilities(ann[0]).T):
        out[f"cal_p_{k}"] = p
    out["cal_entropy"] = ann[0]["entropy"].to_numpy()
    return out


def methods(config: dict) -> list[str]:
    """Each calibration in config order, followed by its entropy-filtered variants."""
    mit, out = config["mitigations"], []
    for kind in mit.get("calibrated", []):
        out.append(TAGS[kind])
        alphas = mit.get("calibrated_entropy_alphas", [])
        out += [alpha_tag(a, f"{TAGS[kind]}_entropy") for a in alphas]
    return out


def check(config: dict) -> list[str]:
    mit = config["mitigations"]
    if mit.get("calibrated_entropy_alphas") and not mit.get("calibrated"):
        return ["mitigations.calibrated_entropy_alphas needs mitigations.calibrated"]
    return []


def display(teacher: str, params: dict) -> str:
    name = f"Calibrated {'content-free' if params['kind'] == 'cf' else params['kind']}"
    if "alpha" in params:
        return f"{name} + entropy {params['alpha']:g}% ({teacher})"
    return f"{name} ({teacher})"


# Both families read member 0 calibrated (`prepare`), the content-free scores for `cf`.
inputs = Inputs(meta=lambda p: p["kind"] == "cf", settings=(PRIOR_EM,))
KIND = r"calibrated_(?P<kind>prior|cf)"
register(
    Mitigation(
        "calibrated",
        Naming(KIND, display, rank=70),
        build,
        # its entropy variants too, each after its calibration
        switch=Switch(("calibrated",), methods, check),
        inputs=inputs,
        prepare=prepare,
        claims=("C8a",),  # gold-free: C8 asks whether it recovers part of the gap
    )
)
register(
    Mitigation(
        "calibrated_entropy",
        Naming(f"{KIND}_entropy{ALPHA}", display, rank=71),
        build,
        switch=Switch(("calibrated_entropy_alphas",)),
        inputs=inputs,
        gold=lambda n, p: gold_budget(n, p["alpha"]),
        prepare=prepare,
    )
)
