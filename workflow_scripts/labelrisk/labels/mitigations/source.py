"""A label source: `gold`, or a teacher with a method of a registered family."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from labelrisk.labels.mitigations.registry import Mitigation, lookup

GOLD = "gold"  # the id of gold labels, the one source without a teacher
LLM = "llm"  # the method of a teacher's own labels


@dataclass(frozen=True)
class Source:
    """How a training set is labelled. What the method means (members, gold cost, name,
    builder) is its family's, in labelrisk.labels.mitigations."""

    teacher: str | None
    method: str

    @classmethod
    def parse(cls, sid: str) -> Source:
        if sid == GOLD:
            return cls(None, GOLD)
        teacher, _, method = sid.rpartition("/")
        return cls(teacher, method)

    @classmethod
    def gold_labels(cls) -> Source:
        return cls(None, GOLD)

    @classmethod
    def labels_of(cls, teacher: str) -> Source:
        """The teacher's own labels (member 0), unmitigated."""
        return cls(teacher, LLM)

    @property
    def id(self) -> str:
        return GOLD if self.teacher is None else f"{self.teacher}/{self.method}"

    @cached_property
    def _family(self) -> tuple[Mitigation, dict]:
        # Matched once per source: every property below reads it (Snakemake asks many times).
        return lookup(self.method)

    @property
    def mitigation(self) -> Mitigation:
        return self._family[0]

    @property
    def params(self) -> dict:
        """The method's parameters, e.g. {"alpha": 25.0} for entropy25."""
        return self._family[1]

    @property
    def is_gold(self) -> bool:
        return self.teacher is None

    @property
    def is_teacher_labels(self) -> bool:
        """The teacher's own labels, the baseline each of its mitigations is compared with."""
        return self.teacher is not None and self.method == LLM

    @property
    def members(self) -> str:
        """Which annotation members the source reads: `none` (gold), `first` or `all`."""
        return self.mitigation.inputs.members

    @property
    def needs_embeddings(self) -> bool:
        return self.mitigation.inputs.embeddings

    @property
    def reads_meta(self) -> bool:
        """Whether it reads member 0's content-free scores."""
        return self.mitigation.inputs.meta(self.params)

    @property
    def settings(self) -> tuple[str, ...]:
        """The config values ("section.key") its builder reads."""
        return self.mitigation.inputs.settings

    @property
    def claims(self) -> tuple[str, ...]:
        """Its part in the claims check (C5a, C5b, C8a)."""
        return self.mitigation.claims

    @property
    def paper(self) -> str | None:
        """The method's name in the paper's tables (`entropy` for every entropy alpha)."""
        return self.mitigation.naming.paper

    @property
    def display(self) -> str:
        return self.mitigation.naming.display(self.teacher, self.params)

    def gold(self, n: int) -> int | None:
        """Gold training labels a set of n items costs (None when the data decides)."""
        return self.mitigation.gold(n, self.params)
