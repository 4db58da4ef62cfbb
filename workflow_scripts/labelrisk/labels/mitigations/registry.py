"""The label-source registry: every way a training set can be labelled, declared once.

A source id is `gold` or `<teacher>/<method>`. Each method belongs to one `Mitigation`, found by
matching its `pattern` (named groups are the method's parameters). The grid, the label sets, the
tables and the claims ask the registry rather than parse names, so a new mitigation is one module
of this package (imported in its `__init__`) plus its config keys in the schema.

Kept free of sklearn and torch: Snakemake imports it (through labelrisk.grid) at parse time.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Context:
    """What a builder may read besides the items: the teacher's members indexed by id (member
    0 first; already calibrated for calibrated sources), the frozen student embeddings (indexed
    by id), the ids confident learning flags, and the config values the family reads."""

    members: list[pd.DataFrame] | None = None
    embeddings: pd.DataFrame | None = None
    flagged: set[str] | None = None
    # The config values the family declares (`Mitigation.settings`), by dotted key.
    settings: dict = field(default_factory=dict)
    # What `prepare` reads: where the annotations come from.
    source: str = ""
    teacher: str | None = None
    dataset: str = ""
    meta: dict | None = None
    labels: Sequence[str] | None = None
    n_classes: int | None = None


def _nothing(config: dict) -> list[str]:
    return []


@dataclass(frozen=True)
class Mitigation:
    """One family of label sources.

    build(out, ann, params, ctx) fills `out` (id, text, gold, keep) with label, is_gold and
    teacher_label; `ann` are the members (as `members` says) restricted to the items' ids.
    """

    name: str
    pattern: str  # a full match over the method, e.g. r"entropy(?P<alpha>\d+(?:\.\d+)?)"
    build: Callable[..., pd.DataFrame]
    display: Callable[[str | None, dict], str]  # (teacher, params) -> the tables' name
    rank: int  # position in the grid, the tables and the figures (baselines first)
    members: str = "first"  # annotation members read: none (gold), first, or all
    # Gold training labels a set of n items costs (None: depends on the data, e.g. disagreement).
    gold: Callable[[int, dict], int | None] = lambda n, params: 0
    keys: tuple[str, ...] = ()  # the `mitigations.<key>` entries that turn it on
    methods: Callable[[dict], list[str]] = _nothing  # the methods a config turns on, in order
    prepare: Callable[[Context, dict], Context] | None = None  # once per (dataset, source)
    needs_embeddings: bool = False
    reads_meta: Callable[[dict], bool] = lambda params: False  # member 0's .json (content-free)
    claims: tuple[str, ...] = ()  # its role in the claims check: C5a, C5b, C8a
    check: Callable[[dict], list[str]] = _nothing  # config errors a schema cannot express
    # Config values its builder reads, as "section.key": its label sets' params, nothing more.
    settings: tuple[str, ...] = ()
    annotation: Callable[[dict], dict] = lambda config: {}  # what the annotate jobs must add
    regex: re.Pattern = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "regex", re.compile(self.pattern))


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
    return sorted(_REGISTRY.values(), key=lambda m: m.rank)


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


def over_members(key: str) -> tuple[Callable[[dict], list[str]], Callable[[dict], list[str]]]:
    """`methods` and `check` of a family turned on by the boolean `mitigations.<key>` that reads
    two or more annotation members (the ensemble, the vote)."""

    def on(config: dict) -> bool:
        return bool(config["mitigations"].get(key))

    def several(config: dict) -> bool:
        return config["annotation"]["members"] > 1

    def methods(config: dict) -> list[str]:
        return [key] if on(config) and several(config) else []

    def check(config: dict) -> list[str]:
        bad = on(config) and not several(config)
        return [f"mitigations.{key} needs annotation.members >= 2"] if bad else []

    return methods, check


def gold_budget(n: int, alpha: float) -> int:
    """Items whose label is replaced at alpha percent of n (rounded up, so alpha > 0 costs >= 1)."""
    return math.ceil(n * alpha / 100.0)


def alpha_tag(alpha: float, method: str) -> str:
    return f"{method}{alpha:g}"


def probabilities(ann: pd.DataFrame) -> np.ndarray:
    """The member's class distribution, p_0..p_{K-1} in class order."""
    cols = sorted((c for c in ann if c.startswith("p_")), key=lambda c: int(c[2:]))
    return ann[cols].to_numpy()


def relabel(out: pd.DataFrame, labels, mask, teacher) -> pd.DataFrame:
    """`out` with label (gold where `mask`, else `labels`), is_gold and teacher_label."""
    out["label"] = np.where(mask, out["gold"].to_numpy(), labels)
    out["is_gold"] = mask
    out["teacher_label"] = teacher
    return out
