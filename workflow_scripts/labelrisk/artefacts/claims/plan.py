"""Which comparisons each claim makes on one dataset: one row per (claim, dataset, teacher),
and per pair of sources where a claim compares several (C5, C6, C8). One builder per claim,
listed with what the claim says in `CLAIMS` (the registry every other module reads)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np

from labelrisk.artefacts.claims import measures as m
from labelrisk.artefacts.claims.inference import MIN_SEEDS, SPREAD_MIN_SEEDS
from labelrisk.artefacts.claims.runs import Key, Runs
from labelrisk.artefacts.claims.verdict import Verdict
from labelrisk.evaluation.metrics import p_unchanged
from labelrisk.grid import Source


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
    margin: float | None = None  # C8: accuracy (measure 2) may fall at most this (non-inferior)


@dataclass
class Setting:
    """What the run declares about one dataset and its teachers."""

    sizes: Sequence[int]
    shares: np.ndarray  # pool class shares
    class_names: Sequence[str]
    parameters: Mapping[str, float | None] = field(default_factory=dict)  # teacher sizes (C6)
    minority_below: float = 0.4  # C4: the smallest share below this times 2 / classes...
    accuracy_margin: float = 0.01  # C8: the accuracy a gain in macro-F1 may cost at most


def _with_role(srcs: Sequence[str], teacher: str, role: str) -> list[str]:
    """The teacher's sources whose family plays `role` in the claims (C5a, C5b, C8a)."""
    parsed = [(s, Source.parse(s)) for s in srcs]
    return [s for s, p in parsed if p.teacher == teacher and role in p.mitigation.claims]


def _p_uc(r: Runs, a: Key, b: Key) -> dict:
    """p_uc as the paper defines it, over exactly the run's seeds: reported, not tested (it
    falls as seeds are added)."""
    return {"p_uc_a": p_unchanged(r.preds[a]), "p_uc_b": p_unchanged(r.preds[b])}


@dataclass
class Ctx:
    """One dataset's comparisons for one teacher: the keys every builder reads."""

    ds: str
    srcs: Sequence[str]
    setting: Setting
    teacher: str
    small: int
    large: int

    @property
    def at(self) -> str:
        return f"(n={self.large})"

    @property
    def gold(self) -> Key:
        return (Source.gold_labels().id, self.large)

    @property
    def llm(self) -> Key:
        return (Source.labels_of(self.teacher).id, self.large)

    def row(self, claim: str, hypothesis: str, measures, decides: int, involved, **kw):
        return Comparison(
            claim, self.ds, self.teacher, hypothesis, measures, decides, involved, **kw
        )


def minority_class(shares: np.ndarray, below: float) -> tuple[int, str]:
    """C4's minority class and "" where one class is clearly the minority; else -1 and why.
    Clearly: its pool share is below `below` x 2 / classes (`below` itself on two classes) and
    at most 0.8 of the next smallest share (never one of two equal smallest classes)."""
    order = np.argsort(shares, kind="stable")
    lo, k = int(order[0]), len(shares)
    limit = below * 2 / k
    if shares[lo] >= limit:
        return -1, f"is {shares[lo]:.1%} of the pool, not below {limit:.0%}"
    if k > 2 and shares[lo] > 0.8 * shares[order[1]]:
        nxt = shares[order[1]]
        return -1, f"is {shares[lo]:.1%} of the pool, too close to the next ({nxt:.1%})"
    return lo, ""


def c1(x: Ctx) -> list[Comparison]:
    gold, llm = x.gold, x.llm
    return [
        x.row(
            "C1",
            f"gold labels train better students than {x.teacher}'s labels {x.at}",
            lambda r: [m.accuracy(r, gold, llm), m.macro_f1(r, gold, llm)],
            2,
            [gold, llm],
        )
    ]


def c2(x: Ctx) -> list[Comparison]:
    gold, llm = x.gold, x.llm
    return [
        x.row(
            "C2",
            f"students on {x.teacher}'s labels agree less across seeds than gold-trained ones, "
            f"beyond what their accuracy alone implies {x.at}",
            lambda r: [m.agreement_beyond_chance(r, gold, llm), *m.stability(r, gold, llm)],
            1,
            [gold, llm],
            extra=lambda r: _p_uc(r, gold, llm),
        )
    ]


def c3(x: Ctx) -> list[Comparison]:
    if x.small == x.large:
        return []
    gold, llm = x.gold, x.llm
    g0, l0 = (gold[0], x.small), (llm[0], x.small)
    return [
        x.row(
            "C3",
            f"students gain less from {x.small} to {x.large} training items on {x.teacher}'s "
            "labels than on gold labels",
            lambda r: [
                m.gain(r, "macro-F1", (g0, gold), (l0, llm)),
                m.gain(r, "accuracy", (g0, gold), (l0, llm)),
            ],
            1,
            [g0, l0, gold, llm],
        )
    ]


def c4(x: Ctx) -> list[Comparison]:
    gold, llm = x.gold, x.llm
    names, shares = x.setting.class_names, x.setting.shares
    lo, why = minority_class(shares, x.setting.minority_below)
    hi = int(np.argmax(shares))
    if lo < 0:
        small = int(np.argmin(shares))
        return [
            x.row(
                "C4",
                f"{x.teacher}'s labels cost the minority class more F1 than the majority class",
                lambda r: [],
                0,
                [],
                not_applicable=Verdict.NOT_BALANCED,
                why_not=f"the smallest class, {names[small]}, {why}: which class is the "
                "minority is arbitrary",
            )
        ]
    return [
        x.row(
            "C4",
            f"{x.teacher}'s labels cost the minority class {names[lo]} ({shares[lo]:.0%} of the "
            f"pool) more F1 than the majority class {names[hi]} ({shares[hi]:.0%}), beyond what "
            f"symmetric noise at the same accuracy would {x.at}",
            lambda r: [
                m.class_f1_lost_beyond_noise(r, gold, llm, lo, hi),
                m.class_f1_lost(r, gold, llm, lo, hi),
            ],
            1,
            [gold, llm],
        )
    ]


def c5(x: Ctx) -> list[Comparison]:
    gold, llm, out = x.gold, x.llm, []
    for ens in _with_role(x.srcs, x.teacher, "C5a"):
        for ent in sorted(_with_role(x.srcs, x.teacher, "C5b")):
            ka, kb = (ens, x.large), (ent, x.large)
            out.append(
                x.row(
                    "C5",
                    f"{Source.parse(ens).method} trains students with higher macro-F1 than "
                    f"{Source.parse(ent).method} {x.at}",
                    lambda r, ka=ka, kb=kb: [m.macro_f1(r, ka, kb), m.accuracy(r, ka, kb)],
                    1,
                    [gold, llm, ka, kb],
                    extra=lambda r, ka=ka, kb=kb: {
                        "recovered_a": m.recovered(r, ka, gold, llm),
                        "recovered_b": m.recovered(r, kb, gold, llm),
                    },
                    costs=(ens, ent),
                )
            )
    return out


def c7(x: Ctx) -> list[Comparison]:
    gold, llm = x.gold, x.llm
    return [
        x.row(
            "C7",
            f"results vary more across seeds on {x.teacher}'s labels than on gold labels {x.at}",
            lambda r: [
                m.seed_std(r, "accuracy", llm, gold),
                m.seed_std(r, "macro_f1", llm, gold),
            ],
            2,
            [gold, llm],
        )
    ]


def c8(x: Ctx) -> list[Comparison]:
    gold, llm, out = x.gold, x.llm, []
    margin = x.setting.accuracy_margin
    for cal in _with_role(x.srcs, x.teacher, "C8a"):
        kc = (cal, x.large)
        out.append(
            x.row(
                "C8",
                f"{Source.parse(cal).method} labels (no gold) train better students than "
                f"{x.teacher}'s plain labels in macro-F1, losing less than {_points(margin)} of "
                f"accuracy {x.at}",
                lambda r, kc=kc: [m.macro_f1(r, kc, llm), m.accuracy(r, kc, llm)],
                1,
                [gold, llm, kc],
                extra=lambda r, kc=kc: {"recovered_a": m.recovered(r, kc, gold, llm)},
                same=(kc, llm),
                costs=(cal,),
                margin=margin,
            )
        )
    return out


def _points(x: float) -> str:
    return f"{100 * x:g} point" + ("" if 100 * x == 1 else "s")


@dataclass(frozen=True)
class Claim:
    title: str  # what the claim says, in short (claims.md's counts)
    build: Callable[[Ctx], list[Comparison]] | None  # None: built across teachers (C6)
    collapse_sensitive: bool = False  # a near-collapsed student makes its quantity meaningless
    min_seeds: int = MIN_SEEDS  # fewer: `undetermined: too few seeds`


def plan(ds: str, srcs: Sequence[str], setting: Setting) -> list[Comparison]:
    """Every comparison on one dataset; `srcs` in grid order."""
    small, large = int(min(setting.sizes)), int(max(setting.sizes))
    teachers = [p.teacher for p in map(Source.parse, srcs) if p.is_teacher_labels]
    out = []
    for t in teachers:
        x = Ctx(ds, srcs, setting, t, small, large)
        for claim in CLAIMS.values():
            out += claim.build(x) if claim.build else []
    return out + _c6(ds, teachers, setting.parameters, large)


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
                    not_applicable=Verdict.NO_ORDER,
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


# The registry: every claim, in the order of each teacher's rows (C6 comes last, across them).
CLAIMS = {
    "C1": Claim("gold labels train better students than LLM labels", c1),
    "C2": Claim("students on LLM labels agree less across seeds", c2, True),
    "C3": Claim("students gain less from more LLM-labelled data", c3, True),
    "C4": Claim("LLM labels cost the minority class most", c4),
    "C5": Claim("the consistency ensemble beats entropy filtering in macro-F1", c5),
    "C6": Claim("the larger teacher's students are no more stable", None, True),
    "C7": Claim(
        "results vary more across seeds on LLM labels", c7, True, min_seeds=SPREAD_MIN_SEEDS
    ),
    "C8": Claim("beyond the paper: gold-free calibration beats the plain labels", c8),
}
TITLES = {k: c.title for k, c in CLAIMS.items()}
NOT_BALANCED, NO_ORDER = Verdict.NOT_BALANCED, Verdict.NO_ORDER
