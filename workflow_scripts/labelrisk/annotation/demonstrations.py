"""The demonstrations of a member's prompt: drawn from the pool (the paper), or fixed in a file."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

READERS = {
    ".csv": pd.read_csv,
    ".tsv": lambda p: pd.read_csv(p, sep="\t"),
    ".jsonl": lambda p: pd.read_json(p, lines=True),
    ".parquet": pd.read_parquet,
}


class DemonstrationError(ValueError):
    pass


def draw_demonstrations(pool: pd.DataFrame, shots: int, seed: int, member: int) -> pd.DataFrame:
    """`shots` items drawn uniformly from the pool; member m of seed s always draws the same."""
    rng = np.random.default_rng([seed, member])
    idx = rng.choice(len(pool), size=min(shots, len(pool)), replace=False)
    return pool.iloc[np.sort(idx)]


def fixed_demonstrations(path: str | Path, labels: Sequence[str], member: int) -> pd.DataFrame:
    """The demonstrations a file fixes, in file order: columns `text` and `label` (a label name
    or its class id) and, optionally, `member` (rows for that ensemble member only; without it
    every member reads every row). Returns id (`demo<row>`), text and label (class id)."""
    path = Path(path)
    if path.suffix not in READERS:
        raise DemonstrationError(f"{path}: unknown table format; one of {sorted(READERS)}")
    table = READERS[path.suffix](path)
    missing = {"text", "label"} - set(table.columns)
    if missing:
        raise DemonstrationError(f"{path}: no column(s) {sorted(missing)}")
    table = table.reset_index(drop=True)
    if "member" in table:
        table = table[table["member"] == member]
    if table.empty:
        raise DemonstrationError(f"{path}: no demonstrations for member {member}")
    ids = []
    for row, value in table["label"].items():
        k = _class_id(value, labels)
        if k is None:
            raise DemonstrationError(
                f"{path}, row {row + 1}: label {value!r} is not one of {list(labels)} "
                f"(or a class id 0..{len(labels) - 1})"
            )
        ids.append(k)
    texts = table["text"]
    if texts.isna().any() or (texts.astype(str).str.strip() == "").any():
        raise DemonstrationError(f"{path}: a demonstration has an empty text")
    return pd.DataFrame(
        {"id": [f"demo{r}" for r in table.index], "text": texts.astype(str), "label": ids}
    ).reset_index(drop=True)


def _class_id(value, labels: Sequence[str]) -> int | None:
    """A label name's class id, or the class id itself (a column mixing names and ids reads
    the ids as text); None for anything else."""
    if isinstance(value, str):
        if value in labels:
            return list(labels).index(value)
        value = value.strip()
        return int(value) if value.isdigit() and int(value) < len(labels) else None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return int(f) if f.is_integer() and 0 <= f < len(labels) else None
