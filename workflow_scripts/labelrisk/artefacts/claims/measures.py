"""What each claim measures: its quantities for a (a) and b, and the test of a - b.

A claim's first `decides` measures decide its verdict (all of them must agree); the others are
reported beside it. Per-seed quantities (accuracy, macro-F1, per-class F1, gains) are tested on
the crossed seeds x items design with their item pseudo-values; agreement between seeds and
Krippendorff's alpha with their two-way pseudo-values; seed standard deviations with the paired
Brown-Forsythe test over seeds. C2 and C4 are decided against what the students' accuracy
alone implies (agreement beyond chance; F1 lost beyond symmetric noise), the paper's raw
readings beside.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from labelrisk.artefacts.claims.inference import UNDEFINED, Test, crossed, seed_variances
from labelrisk.artefacts.claims.pseudo import symmetric_f1
from labelrisk.artefacts.claims.runs import Key, Runs


@dataclass(frozen=True)
class Measure:
    name: str
    a: float
    b: float
    test: Test
    seeds_for: str = ""  # seeds whose own difference has the estimate's sign, e.g. "4/5"


def _seeds_for(per_seed: np.ndarray, estimate: float) -> str:
    if not np.isfinite(estimate) or estimate == 0:
        return ""
    return f"{int((np.sign(per_seed) == np.sign(estimate)).sum())}/{len(per_seed)}"


def _paired(name: str, a_seed: np.ndarray, b_seed: np.ndarray, ps: np.ndarray) -> Measure:
    """a and b per seed (their means are reported), ps the pseudo-values of a - b."""
    diff = a_seed - b_seed
    est = float(diff.mean())
    return Measure(
        name, float(a_seed.mean()), float(b_seed.mean()), crossed(est, ps), _seeds_for(diff, est)
    )


def accuracy(r: Runs, a: Key, b: Key) -> Measure:
    sa, sb = r.scores(a), r.scores(b)
    return _paired("accuracy", sa.accuracy, sb.accuracy, sa.correct - sb.correct)


def macro_f1(r: Runs, a: Key, b: Key) -> Measure:
    sa, sb = r.scores(a), r.scores(b)
    return _paired("macro-F1", sa.macro_f1, sb.macro_f1, sa.macro_f1_ps - sb.macro_f1_ps)


def gain(r: Runs, metric: str, a: tuple[Key, Key], b: tuple[Key, Key]) -> Measure:
    """The gain from the first to the second key of each pair (same source, smaller then
    larger size), a's against b's."""

    def values(key):
        s = r.scores(key)
        return (s.accuracy, s.correct) if metric == "accuracy" else (s.macro_f1, s.macro_f1_ps)

    (a0, pa0), (a1, pa1), (b0, pb0), (b1, pb1) = map(values, (*a, *b))
    return _paired(f"{metric} gain", a1 - a0, b1 - b0, (pa1 - pa0) - (pb1 - pb0))


def class_f1_lost(r: Runs, gold: Key, llm: Key, minority: int, majority: int) -> Measure:
    """F1 lost (gold minus LLM labels) on the minority class (a) against the majority (b)."""
    g, t = r.scores(gold), r.scores(llm)
    lost, lost_ps = g.class_f1 - t.class_f1, g.class_f1_ps - t.class_f1_ps
    ps = lost_ps[..., minority] - lost_ps[..., majority]
    return _paired("F1 lost", lost[:, minority], lost[:, majority], ps)


def class_f1_lost_beyond_noise(
    r: Runs, gold: Key, llm: Key, minority: int, majority: int
) -> Measure:
    """C4 as a claim about the labels, not about accuracy: F1 lost on the minority class beyond
    what symmetric noise at the LLM-label students' accuracy would cost it, against the same
    for the majority (any noise costs a small class's F1 more; this removes that part)."""
    t = r.scores(llm)
    sym, sym_ps = symmetric_f1(r.gold, r.preds[gold], r.preds[llm], r.n_classes)
    lost, lost_ps = sym - t.class_f1, sym_ps - t.class_f1_ps
    ps = lost_ps[..., minority] - lost_ps[..., majority]
    return _paired("F1 lost beyond symmetric noise", lost[:, minority], lost[:, majority], ps)


def agreement_beyond_chance(r: Runs, a: Key, b: Key) -> Measure:
    """C2 as a claim about stability, not accuracy: agreement between seeds minus the agreement
    the students' confusion alone implies (independent errors), a's against b's."""
    sa, sb = r.stability(a), r.stability(b)
    name = "agreement beyond accuracy"
    if sa is None or sb is None:
        return Measure(name, np.nan, np.nan, UNDEFINED)
    (ca, ca_ps), (cb, cb_ps) = r.chance(a), r.chance(b)
    va, vb = sa.agreement - ca, sb.agreement - cb
    ps = (sa.agreement_ps - ca_ps) - (sb.agreement_ps - cb_ps)
    return Measure(name, va, vb, crossed(va - vb, ps))


def stability(r: Runs, a: Key, b: Key, instability: bool = False) -> list[Measure]:
    """Pairwise agreement between seeds and Krippendorff's alpha of a's students against b's
    (1 - each with `instability`)."""
    sa, sb = r.stability(a), r.stability(b)
    names = ("agreement", "alpha")
    if sa is None or sb is None:
        return [Measure(n, np.nan, np.nan, UNDEFINED) for n in names]
    sign, shift = (-1.0, 1.0) if instability else (1.0, 0.0)
    out = []
    for name in names:
        va, vb = getattr(sa, name), getattr(sb, name)
        ps = sign * (getattr(sa, f"{name}_ps") - getattr(sb, f"{name}_ps"))
        est = sign * (va - vb)
        label = f"1 - {name}" if instability else name
        out.append(Measure(label, shift + sign * va, shift + sign * vb, crossed(est, ps)))
    return out


def seed_std(r: Runs, metric: str, a: Key, b: Key) -> Measure:
    """Seed standard deviation (ddof=1, as the summary) of a's students against b's."""

    def values(key):
        s = r.scores(key)
        return s.accuracy if metric == "accuracy" else s.macro_f1

    va, vb = values(a), values(b)
    name = f"seed std of {'accuracy' if metric == 'accuracy' else 'macro-F1'}"
    if len(va) < 2:
        return Measure(name, np.nan, np.nan, UNDEFINED)
    sd_a, sd_b = float(np.std(va, ddof=1)), float(np.std(vb, ddof=1))
    return Measure(name, sd_a, sd_b, seed_variances(va, vb))


def recovered(r: Runs, source: Key, gold: Key, llm: Key) -> float:
    """Share of the gold-vs-LLM macro-F1 gap (means over seeds) a source recovers; NaN where
    LLM labels are not worse than gold (no gap to recover). Reported, not tested."""
    f1 = {k: float(r.scores(k).macro_f1.mean()) for k in (source, gold, llm)}
    gap = f1[gold] - f1[llm]
    return (f1[source] - f1[llm]) / gap if gap > 0 else np.nan
