"""The verdicts a claims row can read: one definition, with the short word of the report's first
page and the plain phrase the risk summary puts before the claim's own sentence."""

from __future__ import annotations

from enum import StrEnum


class Verdict(StrEnum):
    """A verdict's value is what claims.csv holds; `short` and `plain` are its wordings."""

    short: str
    plain: str

    def __new__(cls, value: str, short: str, plain: str):
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj.short, obj.plain = short, plain
        return obj

    HOLDS = "holds", "supported", "the run supports it"
    FAILS = "does not hold", "contradicted", "the run contradicts it"
    UNDETERMINED = (
        "undetermined",
        "cannot tell",
        "the run cannot tell (the difference is within noise)",
    )
    COLLAPSED = (
        "undetermined: collapsed",
        "cannot tell (collapsed)",
        "the run cannot tell (a student answered one class)",
    )
    TOO_FEW = (
        "undetermined: too few seeds",
        "cannot tell (too few seeds)",
        "the run cannot tell (too few seeds for this test)",
    )
    UNCHANGED = (
        "does not hold: same predictions",
        "contradicted (no change)",
        "the run contradicts it (no prediction changed)",
    )
    TRADE = (
        "trade: macro-F1 up, accuracy down",
        "trade",
        "a trade (macro-F1 up, accuracy down)",
    )
    NOT_BALANCED = (
        "not applicable: balanced",
        "n/a",
        "not applicable (no class is clearly the minority)",
    )
    NO_ORDER = (
        "not applicable: no size order",
        "n/a (no size order)",
        "not applicable (the teachers' sizes are not declared)",
    )

    @classmethod
    def short_of(cls, value: str) -> str:
        """The short wording of a verdict string (the string itself if it is none)."""
        return cls(value).short if value in cls._value2member_map_ else value

    @classmethod
    def plain_of(cls, value: str) -> str:
        return cls(value).plain if value in cls._value2member_map_ else value
