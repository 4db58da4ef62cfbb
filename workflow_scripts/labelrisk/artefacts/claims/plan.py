"""Which comparisons each claim makes on one dataset: one row per (claim, dataset, teacher),
and per pair of sources where a claim compares several (C5, C6, C8)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np

from labelrisk.artefacts.claims import measures as m
from labelrisk.artefacts.claims.runs import Key, Runs
from labelrisk.evaluation.metrics import p_unchanged
from labelrisk.grid import Source

# Claims whose quantity a near-collapsed student makes meaningless: a student answering one
# class agrees with itself across seeds, varies little and gains nothing with more data.
COLLAPSE_SENSITIVE = frozenset({"C2", "C3", "C6", "C7"})
# Claims about recovering the macro-F1 gap: a gain bought with accuracy reads as a trade.
TRADES = frozenset({"C5", "C8"})
# What each claim says, in short (claims.md's counts).
TITLES = {
    "C1": "gold labels train better students than LLM labels",
    "C2": "students on LLM labels agree less across seeds",
    "C3": "students gain less from more LLM-labelled data",
    "C4": "LLM labels cost the minority class most",
    "C5": "the consistency ensemble recovers more of the gap than entropy filtering",
    "C6": "the larger teacher's students are no more stable",
    "C7": "results vary more across seeds on LLM labels",
    "C8": "beyond the paper: gold-free calibration recovers part of the gap",
}
NOT_BALANCED = "not applicable: balanced"
NO_ORDER = "not applicable: no size order"


@dataclass
class Comparison:
    claim: str
    dataset: str
    teacher: str
    hypothesis: str  # what `holds` means, in words
    measures: Callable[[Runs], list[m.Measure]]
    decides: int  # the first `decides` measures decide the verdict together
    involved: list[Key]
    extra: Callable[[Runs], dict] = lambda r: {}
    not_applicable: str = ""  # the verdict when the claim cannot be asked here...
    why_not: str = ""  # ...and why
    same: tuple[Key, Key] | None = None  # C8: identical students mean nothing was calibrated
    costs: tuple[str, ...] = ()  # sources whose gold cost the row states (a, then b)


@dataclass
class Setting:
    """What the run declares about one dataset and its teachers."""

    sizes: Sequence[int]
    shares: np.ndarray  # pool class shares
    class_names: Sequence[str]
    parameters: Mapping[str, float | None] = field(default_factory=dict)  # teacher sizes (C6)
    minority_below: float = 0.4  # C4 asks only where the smallest class share is below this


def _with_role(srcs: Sequence[str], teacher: str, role: str) -> list[str]:
    """The teacher's sources whose family plays `role` in the claims (C5a, C5b, C8a)."""
    parsed = [(s, Source.parse(s)) for s in srcs]
    return [s for s, p in parsed if p.teacher == teacher and role in p.mitigation.claims]


def _p_uc(r: Runs, a: Key, b: Key) -> dict:
    """p_uc as the paper defines it, over exactly the run's seeds: reported, not tested (it
    falls as seeds are added)."""
    return {"p_uc_a": p_unchanged(r.preds[a]), "p_uc_b": p_unchanged(r.preds[b])}


def plan(ds: str, srcs: Sequence[str], setting: Setting) -> list[Comparison]:
    """Every comparison on one dataset; `srcs` in grid order."""
    small, large = int(min(setting.sizes)), int(max(setting.sizes))
    teachers = [p.teacher for p in map(Source.parse, srcs) if p.is_teacher_labels]
    gold_id = Source.gold_labels().id
    gold = (gold_id, large)
    out = []
    for t in teachers:
        llm = (Source.labels_of(t).id, large)
        both = [gold, llm]
        at = f"(n={large})"

        def c(claim, hyp, fn, decides, inv, t=t, **kw):
            out.append(Comparison(claim, ds, t, hyp, fn, decides, inv, **kw))

        c(
            "C1",
            f"gold labels train better students than {t}'s labels {at}",
            lambda r, llm=llm: [m.accuracy(r, gold, llm), m.macro_f1(r, gold, llm)],
            2,
            both,
        )
        c(
            "C2",
            f"students on {t}'s labels agree less across seeds than gold-trained ones {at}",
            lambda r, llm=llm: m.stability(r, gold, llm),
            2,
            both,
            extra=lambda r, llm=llm: _p_uc(r, gold, llm),
        )
        if small != large:
            g0, l0 = (gold_id, small), (Source.labels_of(t).id, small)
            c(
                "C3",
                f"students gain less from {small} to {large} training items on {t}'s labels "
                "than on gold labels",
                lambda r, g0=g0, l0=l0, llm=llm: [
                    m.gain(r, "macro-F1", (g0, gold), (l0, llm)),
                    m.gain(r, "accuracy", (g0, gold), (l0, llm)),
                ],
                1,
                [g0, l0, *both],
            )
        lo, hi = int(np.argmin(setting.shares)), int(np.argmax(setting.shares))
        names, shares = setting.class_names, setting.shares
        na = why = ""
        if shares[lo] >= setting.minority_below:
            na = NOT_BALANCED
            why = (
                f"the smallest class, {names[lo]}, is {shares[lo]:.1%} of the pool, not below "
                f"{setting.minority_below:.0%}: which class is the minority is arbitrary"
            )
        c(
            "C4",
            f"{t}'s labels cost the minority class {names[lo]} ({shares[lo]:.0%} of the pool) "
            f"more F1 than the majority class {names[hi]} ({shares[hi]:.0%}) {at}",
            lambda r, llm=llm, lo=lo, hi=hi: [m.class_f1_lost(r, gold, llm, lo, hi)],
            1,
            both,
            not_applicable=na,
            why_not=why,
        )
        for ens in _with_role(srcs, t, "C5a"):
            for ent in sorted(_with_role(srcs, t, "C5b")):
                ka, kb = (ens, large), (ent, large)
                c(
                    "C5",
                    f"{Source.parse(ens).method} recovers more of the gold-vs-LLM macro-F1 gap "
                    f"than {Source.parse(ent).method} {at}",
                    lambda r, ka=ka, kb=kb: [m.macro_f1(r, ka, kb), m.accuracy(r, ka, kb)],
                    1,
                    [*both, ka, kb],
                    extra=lambda r, ka=ka, kb=kb, llm=llm: {
                        "recovered_a": m.recovered(r, ka, gold, llm),
                        "recovered_b": m.recovered(r, kb, gold, llm),
                    },
                    costs=(ens, ent),
                )
        c(
            "C7",
            f"results vary more across seeds on {t}'s labels than on gold labels {at}",
            lambda r, llm=llm: [
                m.seed_std(r, "accuracy", llm, gold),
                m.seed_std(r, "macro_f1", llm, gold),
            ],
            2,
            both,
        )
        for cal in _with_role(srcs, t, "C8a"):
            kc = (cal, large)
            c(
                "C8",
                f"{Source.parse(cal).method} labels (no gold) train better students than {t}'s "
                f"plain labels in macro-F1, recovering part of the gap to gold {at}",
                lambda r, kc=kc, llm=llm: [m.macro_f1(r, kc, llm), m.accuracy(r, kc, llm)],
                1,
                [*both, kc],
                extra=lambda r, kc=kc, llm=llm: {"recovered_a": m.recovered(r, kc, gold, llm)},
                same=(kc, llm),
                costs=(cal,),
            )
    out += _c6(ds, teachers, setting.parameters, large)
    return out


def _c6(ds: str, teachers: Sequence[str], parameters: Mapping, size: int) -> list[Comparison]:
    """The larger teacher's students (a) against the smaller's (b), for every pair of teachers;
    the size order is each teacher's declared parameter count."""
    out = []
    for t, u in combinations(teachers, 2):
        pt, pu = parameters.get(t), parameters.get(u)
        if pt is None or pu is None or pt == pu:
            missing = [x for x, p in ((t, pt), (u, pu)) if p is None]
            why = (
                f"no `parameters` declared for {' and '.join(missing)}"
                if missing
                else "both teachers declare the same `parameters`"
            )
            out.append(
                Comparison(
                    "C6",
                    ds,
                    f"{t} vs {u}",
                    "instability does not shrink with the larger teacher",
                    lambda r: [],
                    0,
                    [],
                    not_applicable=NO_ORDER,
                    why_not=f"{why}, so which teacher is the larger one is unknown",
                )
            )
            continue
        big, small = (t, u) if pt > pu else (u, t)
        ka, kb = (Source.labels_of(big).id, size), (Source.labels_of(small).id, size)
        out.append(
            Comparison(
                "C6",
                ds,
                f"{big} vs {small}",
                f"students on the larger teacher {big}'s labels disagree across seeds more "
                f"than those on the smaller {small}'s (n={size})",
                lambda r, ka=ka, kb=kb: m.stability(r, ka, kb, instability=True),
                2,
                [ka, kb],
                extra=lambda r, ka=ka, kb=kb: _p_uc(r, ka, kb),
            )
        )
    return out
