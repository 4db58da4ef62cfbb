"""A dataset's unlabelled table: read like the labelled one (any of its formats, its text and id
columns, its bad-row accounting), without a label column; rows also in the study's splits (same
id or same whitespace-normalised text) are left out and counted, so no test item is trained on.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from labelrisk.data import dataset as lr_data

log = logging.getLogger(__name__)


def read_rows(
    name: str, origin: dict, cache: Path, on_bad_rows: str
) -> tuple[pd.DataFrame, int, Counter]:
    """(id, text) rows of the unlabelled table, the rows read and the malformed rows dropped by
    reason. The one place that calls the labelled data's reader and cleaner: the table is read
    with its text column standing in for the label column, every row given the same label."""
    src = {**origin, "label_column": origin["text_column"]}
    raw = lr_data.read_dataset(f"{name}.unlabelled", src, ["unlabelled", "-"], cache)
    raw = raw.assign(label_name="unlabelled")
    rows, drops = lr_data.clean(raw, ["unlabelled", "-"], on_bad_rows)
    return rows[["id", "text"]], len(raw), Counter({k: v for k, v in drops.items() if v})


def normalised(texts: pd.Series) -> pd.Series:
    """Texts compared for leaks: white space runs collapsed, ends stripped (case kept)."""
    return texts.astype(str).str.split().str.join(" ")


def item_id(source_id: str, text: str) -> str:
    """The row's id in the product's tables: the table's id and a hash of its text, so an answer
    kept for a row is never reused after its text changed, and no id meets a labelled one."""
    return f"u:{source_id}:{hashlib.sha256(text.encode()).hexdigest()[:12]}"


def remove_leaks(
    rows: pd.DataFrame, splits: dict[str, pd.DataFrame], match_ids: bool
) -> tuple[pd.DataFrame, Counter]:
    """`rows` without those that are in a split (by normalised text, and by id when the table
    names its ids: `match_ids`) or repeat an earlier row's normalised text; counted by reason
    (`in_test` before `in_val` before `in_pool`, then `duplicate_text`)."""
    counts: Counter = Counter()
    text = normalised(rows.text)
    left = pd.Series(False, index=rows.index)
    for part in ("test", "val", "pool"):
        split = splits[part]
        hit = text.isin(set(normalised(split.text)))
        if match_ids:
            hit |= rows.id.isin(set(split.id.astype(str)))
        hit &= ~left
        counts[f"in_{part}"] = int(hit.sum())
        left |= hit
    repeat = text.duplicated(keep="first") & ~left
    counts["duplicate_text"] = int(repeat.sum())
    left |= repeat
    for reason, n in counts.items():
        if n:
            log.warning("left out %d unlabelled rows: %s", n, reason)
    return rows[~left].reset_index(drop=True), +counts


def unlabelled_table(
    name: str, origin: dict, splits: dict[str, pd.DataFrame], cache: Path, on_bad_rows: str
) -> tuple[pd.DataFrame, dict]:
    """The rows the teacher labels (id, text, source_id) and the accounting of what was read."""
    rows, read, drops = read_rows(name, origin, cache, on_bad_rows)
    kept, leaks = remove_leaks(rows, splits, match_ids=bool(origin.get("id_column")))
    if kept.empty:
        raise lr_data.DataError(
            f"dataset {name!r}: every row of its unlabelled table ({lr_data.where(origin)}) is "
            f"left out ({dict(drops + leaks)}); give rows the study has not labelled"
        )
    out = pd.DataFrame(
        {
            "id": [item_id(i, t) for i, t in zip(kept.id, kept.text, strict=True)],
            "text": kept.text.to_numpy(),
            "source_id": kept.id.to_numpy(),
        }
    )
    report = {"read": read, "kept": len(out), "dropped": dict(drops), "left_out": dict(leaks)}
    return out, report


def splits_of(paths: Sequence[str]) -> dict[str, pd.DataFrame]:
    """The study's pool, validation and test tables (in that order) by name."""
    return dict(zip(("pool", "val", "test"), (pd.read_parquet(p) for p in paths), strict=True))
