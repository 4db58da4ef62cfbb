"""Gold-free calibration of the teacher's label bias (docs/calibration.md): the calibrated
argmax (`calibrated_prior`, `calibrated_cf`), optionally with entropy filtering on the calibrated
distributions (`calibrated_<prior|cf>_entropy<alpha>`, at entropy's gold budget)."""

import dataclasses
import logging

import numpy as np

from labelrisk.labels.calibration import calibrated_members
from labelrisk.labels.mitigations.entropy import ALPHA, entropy_filter
from labelrisk.labels.mitigations.registry import (
    Mitigation,
    alpha_tag,
    gold_budget,
    probabilities,
    register,
    relabel,
)

log = logging.getLogger(__name__)
# Tag in the method name -> labelrisk.labels.calibration method (`mitigations.calibrated`).
KINDS = {"prior": "prior", "cf": "content_free"}
TAGS = {method: f"calibrated_{tag}" for tag, method in KINDS.items()}


def prepare(ctx, params):
    """Member 0 calibrated on every item the teacher labelled (pool and validation set)."""
    kind = KINDS[params["kind"]]
    members = calibrated_members(
        ctx.members,
        kind,
        ctx.settings["calibration.prior_em"],
        ctx.meta,
        ctx.labels,
        ctx.dataset,
        ctx.teacher,
    )
    changed = int((members[0].pred != members[0].raw_pred).sum())
    log.info("%s calibration changes %d of %d teacher labels", kind, changed, len(members[0]))
    return dataclasses.replace(ctx, members=members)


def build(out, ann, params, ctx):
    """Labels by the calibrated argmax; records the calibrated distribution (cal_p_k) and its
    entropy (cal_entropy); teacher_label stays the teacher's own label (raw_pred)."""
    if "raw_pred" not in ann[0]:
        raise ValueError(f"{ctx.source}: member 0 must be calibrated first (calibrated_members)")
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


def annotation(config: dict) -> dict:
    """Content-free calibration needs the annotate jobs to score the content-free inputs."""
    if "content_free" not in config["mitigations"].get("calibrated", []):
        return {}
    return {"content_free_inputs": list(config["calibration"]["content_free_inputs"])}


def display(teacher: str, params: dict) -> str:
    name = f"Calibrated {'content-free' if params['kind'] == 'cf' else params['kind']}"
    if "alpha" in params:
        return f"{name} + entropy {params['alpha']:g}% ({teacher})"
    return f"{name} ({teacher})"


common = dict(build=build, display=display, prepare=prepare, settings=("calibration.prior_em",))
common |= dict(reads_meta=lambda p: p["kind"] == "cf")
register(
    Mitigation(
        "calibrated",
        r"calibrated_(?P<kind>prior|cf)",
        rank=70,
        keys=("calibrated",),
        methods=methods,  # its entropy variants too, each after its calibration
        claims=("C8a",),  # gold-free: C8 asks whether it recovers part of the gap
        check=check,
        annotation=annotation,
        **common,
    )
)
register(
    Mitigation(
        "calibrated_entropy",
        rf"calibrated_(?P<kind>prior|cf)_entropy{ALPHA}",
        rank=71,
        gold=lambda n, p: gold_budget(n, p["alpha"]),
        keys=("calibrated_entropy_alphas",),
        **common,
    )
)
