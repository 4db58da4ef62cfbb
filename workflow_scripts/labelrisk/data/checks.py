"""Checks of a dataset after cleaning and after the split: no configured class may vanish and
no large share of the rows may be lost without the run stopping."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

import pandas as pd

from labelrisk.data.dataset import MALFORMED, DataError, named_counts


def check_classes(
    name: str,
    rows: pd.DataFrame,
    labels: Sequence[str],
    seen: Counter,
    class_keep: Mapping[str, float] | None = None,
    by: str = "auto",
) -> None:
    """Stop when a configured class has no rows left, naming it and the label values the
    source gave (`seen`, with counts) and how they were read (`by`): a misspelt label or a
    too small `class_keep` share would otherwise leave a task with fewer classes than the
    config says."""
    counts = rows["label"].value_counts()
    empty = [lab for k, lab in enumerate(labels) if counts.get(k, 0) == 0]
    if not empty:
        return
    lines = []
    for lab in empty:
        why = f"class {lab!r} has no rows"
        if lab in (class_keep or {}):
            why += f" left after class_keep {{{lab}: {class_keep[lab]}}}"
        close = [str(v) for v in seen if str(v).strip().lower() == lab.lower() and str(v) != lab]
        if close:
            why += f" ({close[0]!r} is not {lab!r}: fix the labels, or map it in origin.label_map)"
        lines.append(why)
    read = (
        f"read as class ids 0..{len(labels) - 1} (origin.label_values: ids)"
        if by == "ids"
        else "matched to the labels by name"
    )
    raise DataError(
        f"dataset {name!r}: {'; '.join(lines)}. Label values in the source, {read}: "
        f"{named_counts(seen)}"
    )


def check_dropped_share(
    name: str, read: int, drops: Mapping[str, int], max_share: float, unknown: Counter
) -> None:
    """Stop when more than `max_share` of the rows read were malformed (deliberate selections,
    `neutral_band`, `class_keep`, `duplicate_text`, do not count)."""
    bad = {r: drops.get(r, 0) for r in MALFORMED if drops.get(r, 0)}
    lost = sum(bad.values())
    if read and lost / read > max_share:
        what = ", ".join(f"{r} {n}" for r, n in bad.items())
        values = f"; unknown label values: {named_counts(unknown)}" if unknown else ""
        raise DataError(
            f"dataset {name!r}: {lost} of its {read} rows ({lost / read:.0%}) are malformed "
            f"({what}{values}), more than data.max_dropped_share ({max_share:g}). Fix the data "
            "or the dataset's labels / origin.label_map, or raise data.max_dropped_share."
        )


PARTS = {"pool": "pool", "val": "validation set", "test": "test set"}


def check_split(name: str, parts: Mapping[str, pd.DataFrame], labels: Sequence[str]) -> None:
    """Stop when a configured class has no rows in the pool, the validation or the test set,
    naming it and each part's rows per class."""

    def per_class(df: pd.DataFrame) -> str:
        counts = df["label"].value_counts().sort_index()
        return ", ".join(f"{labels[k]} {n}" for k, n in counts.items()) or "no rows"

    missing = [
        f"class {lab!r} has no rows in the {PARTS[part]}"
        for part, df in parts.items()
        for k, lab in enumerate(labels)
        if not (df["label"] == k).any()
    ]
    if missing:
        each = "; ".join(f"{PARTS[p]}: {per_class(df)}" for p, df in parts.items())
        raise DataError(
            f"dataset {name!r}: {'; '.join(missing)} (rows per class: {each}). Use more rows "
            "of that class, larger splits.val_size / splits.test_size, or leave the class out."
        )
