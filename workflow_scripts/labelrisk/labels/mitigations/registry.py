"""The label-source registry: every way a training set can be labelled, declared once.

A source id is `gold` or `<teacher>/<method>` (labelrisk.labels.mitigations.source). Each method
belongs to one `Mitigation`, found by matching its naming pattern (named groups are the method's
parameters). The grid, the rules, the label sets, the tables and the claims ask the registry
rather than parse names, so a new mitigation is one module of this package (imported in its
`__init__`) plus its config keys in the schema. A family is one form:

    register(
        Mitigation(
            "entropy",
            Naming(f"entropy{ALPHA}", lambda t, p: f"Entropy {p['alpha']:g}% ({t})", rank=10),
            build,
            switch=Switch(("entropy_alphas",), methods),
            gold=lambda n, p: gold_budget(n, p["alpha"]),
            claims=("C5b",),
        )
    )

Kept free of sklearn and torch: Snakemake imports it (through labelrisk.grid) at parse time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from labelrisk.teachers.base import probability_columns

if TYPE_CHECKING:
    from labelrisk.labels.mitigations.source import Source


def _nothing(config: dict) -> list[str]:
    return []


@dataclass(frozen=True)
class Naming:
    """How a family's methods are named: `pattern` (a full match over the method, e.g.
    r"entropy(?P<alpha>\\d+(?:\\.\\d+)?)"), `display(teacher, params)` (its name in tables and
    figures), `rank` (its place in the grid, the tables and the figures; baselines first) and
    `paper` (the method's name in the paper's tables, where the paper has it)."""

    pattern: str
    display: Callable[[str | None, dict], str]
    rank: int
    paper: str | None = None


@dataclass(frozen=True)
class Switch:
    """How the config turns a family on: its `mitigations.<key>` entries, the methods they name
    in grid order, and the config errors a schema cannot express."""

    keys: tuple[str, ...] = ()
    methods: Callable[[dict], list[str]] = _nothing
    check: Callable[[dict], list[str]] = _nothing


@dataclass(frozen=True)
class Inputs:
    """What a family's label sets read besides the pool and the validation items: the
    annotation `members` (none, first or all), the frozen student `embeddings`, member 0's
    content-free scores (`meta(params)`), and the config values its builder reads (`settings`,
    as "section.key": its label sets' params, nothing more)."""

    members: str = "first"
    embeddings: bool = False
    meta: Callable[[dict], bool] = lambda params: False
    settings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Context:
    """What a builder reads besides the items: the teacher's members indexed by id (member 0
    first; already calibrated for calibrated sources), the frozen student embeddings (indexed by
    id), member 0's content-free scores, the dataset's class names, the settings its family
    declares, and what `prepare` found (the ids confident learning flags)."""

    source: Source
    members: list[pd.DataFrame] | None = None
    embeddings: pd.DataFrame | None = None
    meta: dict | None = None
    labels: Sequence[str] = ()
    settings: dict = field(default_factory=dict)
    dataset: str = ""
    flagged: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Mitigation:
    """One family of label sources.

    build(out, ann, params, ctx) fills `out` (id, text, gold, keep) with label, is_gold and
    teacher_label; `ann` are the members (as `inputs.members` says) restricted to the items'
    ids. prepare(ctx, params), when given, runs once per label-set job on every item the teacher
    labelled (no gold) and returns the context the builder reads. `gold(n, params)` is the gold
    training labels a set of n items costs (None: the data decides, e.g. disagreement), checked
    on every set. `claims` is its part in the claims check: C5a (the paper's ensemble), C5b (its
    entropy filtering), C8a (a gold-free calibration).
    """

    name: str
    naming: Naming
    build: Callable[..., pd.DataFrame]
    switch: Switch = Switch()  # baselines: none, the grid adds them itself
    inputs: Inputs = Inputs()
    gold: Callable[[int, dict], int | None] = lambda n, params: 0
    prepare: Callable[[Context, dict], Context] | None = None
    claims: tuple[str, ...] = ()
    regex: re.Pattern = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "regex", re.compile(self.naming.pattern))


_REGISTRY: dict[str, Mitigation] = {}


def register(m: Mitigation) -> Mitigation:
    if m.name in _REGISTRY:
        raise ValueError(f"mitigation {m.name!r} is registered twice")
    _REGISTRY[m.name] = m
    return m


def unregister(name: str) -> None:
    _REGISTRY.pop(name, None)


def registered() -> list[Mitigation]:
    """Every registered family, in grid order (by rank)."""
    return sorted(_REGISTRY.values(), key=lambda m: m.naming.rank)


def lookup(method: str) -> tuple[Mitigation, dict]:
    """The family of a method and its parameters (numbers as floats): the one place that reads
    a method's name."""
    for m in registered():
        if match := m.regex.fullmatch(method):
            return m, {k: _value(v) for k, v in match.groupdict().items() if v is not None}
    raise ValueError(f"unknown label source method {method!r}")


def _value(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


def over_members(key: str) -> Switch:
    """The switch of a family turned on by the boolean `mitigations.<key>` that reads two or
    more annotation members (the ensemble, the vote)."""

    def on(config: dict) -> bool:
        return bool(config["mitigations"].get(key))

    def several(config: dict) -> bool:
        return config["annotation"]["members"] > 1

    def methods(config: dict) -> list[str]:
        return [key] if on(config) and several(config) else []

    def check(config: dict) -> list[str]:
        bad = on(config) and not several(config)
        return [f"mitigations.{key} needs annotation.members >= 2"] if bad else []

    return Switch((key,), methods, check)


def alpha_tag(alpha: float, method: str) -> str:
    return f"{method}{alpha:g}"


def alphas(key: str, method: str) -> Switch:
    """The switch of a family with one method per alpha of the list `mitigations.<key>`."""
    return Switch((key,), lambda c: [alpha_tag(a, method) for a in c["mitigations"].get(key, [])])


def probabilities(ann: pd.DataFrame) -> np.ndarray:
    """The member's class distribution, p_0..p_{K-1} in class order."""
    return ann[probability_columns(ann)].to_numpy()


def relabel(out: pd.DataFrame, labels, mask, teacher) -> pd.DataFrame:
    """`out` with label (gold where `mask`, else `labels`), is_gold and teacher_label."""
    out["label"] = np.where(mask, out["gold"].to_numpy(), labels)
    out["is_gold"] = mask
    out["teacher_label"] = teacher
    return out
