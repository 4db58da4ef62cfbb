"""Read a dataset into (id, text, label) rows, check them, and split them reproducibly.

Malformed rows are never changed silently: each is either dropped and counted by reason, or
raises, as `data.on_bad_rows` says.
"""

from __future__ import annotations

import io
import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from labelrisk.data.encoding import first_non_utf8
from labelrisk.fetch.pypi import fetch_dist, open_member
from labelrisk.fetch.remote import hub_dataset, hub_file, read_url_member

log = logging.getLogger(__name__)

COLUMNS = ["id", "text", "label"]


class DataError(ValueError):
    pass


def parse_vader_tsv(raw: bytes, labels: Sequence[str], neutral_band: float) -> pd.DataFrame:
    """VADER ground truth: `id<TAB>mean<TAB>text`, CRLF. Label = sign of the mean rating.

    With three labels, |mean| <= neutral_band is the middle one. With two labels a mean of
    exactly 0 has no label (label None), and 0 < |mean| <= neutral_band marks the row
    `drop_reason` "neutral_band" (as IMDB leaves out middling reviews); `clean` drops and
    counts both.
    """
    rows = []
    for line in raw.decode("utf-8").splitlines():
        if not line.strip():
            continue
        parts = line.split("\t", 2)
        if len(parts) != 3:
            rows.append((parts[0], None, None, None))
            continue
        rid, mean, text = parts
        m = float(mean)
        reason = None
        if len(labels) == 3:
            lab = labels[1] if abs(m) <= neutral_band else labels[0 if m < 0 else 2]
        else:
            lab = None if m == 0 else labels[0 if m < 0 else 1]
            if lab is not None and abs(m) <= neutral_band:
                reason = "neutral_band"
        rows.append((rid, text, lab, reason))
    return pd.DataFrame(rows, columns=["id", "text", "label_name", "drop_reason"])


def parse_label_folders(files: dict[str, bytes]) -> pd.DataFrame:
    """One folder per label name, one .txt file per item; the id is `label/file`."""
    rows = []
    for rel, data in sorted(files.items()):
        label, _, fname = rel.partition("/")
        if not fname.endswith(".txt") or "/" in fname:
            continue
        rows.append((rel, data.decode("utf-8", errors="replace"), label))
    return pd.DataFrame(rows, columns=["id", "text", "label_name"])


def read_table(data: Path | bytes, fmt: str, src: dict) -> pd.DataFrame:
    buf = io.BytesIO(data) if isinstance(data, bytes) else data
    try:
        if fmt in ("csv", "tsv"):
            # `columns` names the columns of a file without a header line.
            names = src.get("columns")
            header = None if names else "infer"
            sep = "," if fmt == "csv" else "\t"
            df = pd.read_csv(
                buf, sep=sep, dtype=str, keep_default_na=False, header=header, names=names
            )
            # Where each record lies, and which swallowed further rows (`clean` counts them).
            where = merged_records(df, sep, 2 - bool(names), src["label_column"])
            return select_columns(df, src).assign(**{k: where[k].to_numpy() for k in where})
        if fmt == "jsonl":
            # utf-8-sig: a byte-order mark (as some editors save) is skipped, as read_csv does.
            df = pd.read_json(buf, lines=True, dtype=False, encoding="utf-8-sig")
        elif fmt == "parquet":
            df = pd.read_parquet(buf)
        else:
            raise DataError(f"unknown table format {fmt!r}")
    except UnicodeDecodeError as e:
        # pandas gives the offset within its read buffer; name the byte and line of the file.
        at, line, reason = first_non_utf8(data) or (e.start, None, e.reason)
        where = f"byte {at}" + (f", line {line}" if line else "")
        raise DataError(f"not UTF-8 text ({reason} at {where}); save the file as UTF-8") from e
    return select_columns(df, src)


def merged_records(
    df: pd.DataFrame, sep: str, first_line: int = 2, label_column: str | None = None
) -> pd.DataFrame:
    """Where each record of a CSV/TSV lies (`line`, its first line in the file, blank lines
    not counted as pandas skips them; `lines`, how many it spans) and whether it swallowed
    further rows (`merged`), as an unmatched quote (`"`) makes it, reading on to the next
    quote: a field over several lines whose inner lines read as records, with as many fields
    and, in the label column's place, a label value of the file's one-line records."""
    cells = df.astype(str)
    spans = 1 + sum(cells[c].str.count("\n") for c in cells.columns).to_numpy(dtype=int)
    starts = first_line + np.cumsum(spans) - spans
    merged = np.zeros(len(df), dtype=bool)
    if label_column not in df.columns or not (spans > 1).any():
        return pd.DataFrame({"line": starts, "lines": spans, "merged": merged})
    k, n = list(df.columns).index(label_column), df.shape[1]
    seen = set(cells.loc[spans == 1, label_column].str.strip())

    def swallowed(value: str) -> bool:
        rows = [line.split(sep) for line in value.split("\n")[1:-1]]
        return any(len(r) >= n and {r[k].strip(), r[k - n].strip()} & seen for r in rows)

    for c in cells.columns:
        multi = np.flatnonzero(cells[c].str.contains("\n", regex=False).to_numpy())
        merged[multi] |= np.array([swallowed(cells[c].iat[i]) for i in multi], dtype=bool)
    log.info("%d records over %d lines: %d span several", len(df), spans.sum(), (spans > 1).sum())
    return pd.DataFrame({"line": starts, "lines": spans, "merged": merged})


def select_columns(df: pd.DataFrame, src: dict) -> pd.DataFrame:
    """The (id, text, label_name) columns of a source table, as the source names them."""
    need = [src["text_column"], src["label_column"]] + (
        [src["id_column"]] if src.get("id_column") else []
    )
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise DataError(f"missing column(s) {missing}; the file has {list(df.columns)}")
    ids = (
        df[src["id_column"]].map(id_text)
        if src.get("id_column")
        else pd.Series(range(len(df))).astype(str)
    )
    return pd.DataFrame(
        {
            "id": ids.to_numpy(),
            "text": df[src["text_column"]].to_numpy(),
            "label_name": df[src["label_column"]].to_numpy(),
        }
    )


def id_text(value) -> str | None:
    """An id as text; None when missing (null, NaN or blank), so that `clean` counts it. A
    whole-number float is the integer it stands for (a column of integer ids with one null is
    read as floats from parquet and JSON lines)."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    text = str(value)
    return text if text.strip() else None


def value_key(value) -> str | None:
    """A label value as the text it stands for, whatever the file's type: `0`, `0.0` and `"0"`
    are all "0" (a column of integers with one null is read as floats); None when missing."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, bool | np.bool_):
        return str(bool(value)).lower()
    return str(value)


def relabel(df: pd.DataFrame, label_map: dict | None) -> pd.DataFrame:
    """Rename the source's label values (e.g. `Books` -> `books`); others are kept as they are.
    Keys are compared as text (`value_key`), so `{0: positive}` maps a 0 read from any format."""
    if not label_map:
        return df
    by_key = {value_key(k): v for k, v in label_map.items()}
    names = df["label_name"].map(lambda v: by_key.get(value_key(v), v) if v is not None else v)
    return df.assign(label_name=names)


def load_raw(src: dict, labels: Sequence[str], cache: Path) -> pd.DataFrame:
    """Rows (id, text, label_name) from a dataset source, before any checking."""
    return relabel(_load_raw(src, labels, cache), src.get("label_map"))


def where(src: dict) -> str:
    """The file a dataset source reads, as a user would name it."""
    if src["kind"] == "local":
        return str(src["path"])
    if src["kind"] == "url":
        return src["url"] + (f" ({src['member']})" if src.get("member") else "")
    if src["kind"] == "hf":
        if not src.get("files"):
            return f"{src['repo']}@{src['revision']} ({src.get('name')}, split {src['split']})"
        return f"{src['repo']}@{src['revision']}: {', '.join(src['files'])}"
    return f"{src['requirement']}: {src['member']}"


def read_dataset(name: str, src: dict, labels: Sequence[str], cache: Path) -> pd.DataFrame:
    """`load_raw`, stopping with one message that names the dataset, the file and the reason
    when the file is missing, empty, not UTF-8 text or not a readable table."""

    def fail(reason: str, e: Exception | None = None):
        raise DataError(f"dataset {name!r}: cannot read {where(src)}: {reason}") from e

    if src["kind"] == "local":
        path = Path(src["path"])
        if not path.exists():
            fail("no such file")
        if path.is_dir():
            fail("it is a folder, not a file")
        if path.stat().st_size == 0:
            fail("the file is empty")
    try:
        raw = load_raw(src, labels, cache)
    except UnicodeDecodeError as e:
        fail(f"not UTF-8 text ({e.reason} at byte {e.start}); save the file as UTF-8", e)
    except pd.errors.EmptyDataError as e:
        fail(f"the file is empty ({e})", e)
    except (pd.errors.ParserError, ValueError, OSError) as e:
        if isinstance(e, DataError):
            fail(str(e), e)
        fail(f"{type(e).__name__}: {e}", e)
    if raw.empty:
        fail("the file has no rows")
    return raw


def _load_raw(src: dict, labels: Sequence[str], cache: Path) -> pd.DataFrame:
    fmt = src["format"]
    if src["kind"] != "pypi" and fmt in ("vader_tsv", "label_folders"):
        raise DataError(f"format {fmt!r} is only read from a pypi source")
    if src["kind"] == "local":
        return read_table(Path(src["path"]), fmt, src)
    if src["kind"] == "url":
        data, _ = read_url_member(src, cache)
        return read_table(data, fmt, src)
    if src["kind"] == "hf" and not src.get("files"):
        return select_columns(hub_dataset(src, cache), src)
    if src["kind"] == "hf":
        # Several files (e.g. the Hub's train and test shards) are read as one table, in order.
        parts = [
            read_table(hub_file(src["repo"], src["revision"], f, cache, "dataset"), fmt, src)
            for f in src["files"]
        ]
        if len(parts) > 1:
            parts = [
                p.assign(id=p["id"].map(lambda v, i=i: v and f"{i}:{v}"))
                for i, p in enumerate(parts)
            ]
        return pd.concat(parts, ignore_index=True)
    arch, path = open_member(fetch_dist(src, cache), src["member"], src.get("inner"))
    if fmt == "label_folders":
        return parse_label_folders(arch.files_under(path))
    if fmt == "vader_tsv":
        return parse_vader_tsv(arch.read(path), labels, src.get("neutral_band", 0))
    return read_table(arch.read(path), fmt, src)


# Values a table uses for "no value" (pandas' default NA strings), compared in lower case.
_MISSING = {"", "nan", "-nan", "na", "n/a", "#n/a", "#na", "null", "none", "<na>"}

# How label values name a class (`origin.label_values`): `auto` by name, refusing a table
# whose whole numbers name one class by name and another by id; `names` by name; `ids` by id.
LABEL_VALUES = ("auto", "names", "ids")


def _missing(value, labels: Sequence[str]) -> bool:
    """Whether a label value is absent: None, NaN, or an empty/NA string that is not a label."""
    key = value_key(value)
    return key is None or (key not in labels and key.strip().lower() in _MISSING)


def _as_id(key: str, n: int) -> int | None:
    """A class id 0..n-1 written as a whole number (`2`, `2.0`), else None."""
    try:
        f = float(key.strip())
    except ValueError:
        return None
    return int(f) if f.is_integer() and 0 <= f < n else None


def _label_id(value, labels: Sequence[str], by: str = "auto") -> int | None:
    """The class a label value names: its name compared as text whatever the file's type
    (`0`, `0.0` and `"0"` alike), or with `by="ids"` its integer id; None when it names none."""
    if _missing(value, labels):
        return None
    key = value_key(value)
    if by == "ids":
        return _as_id(key, len(labels))
    return list(labels).index(key) if key in labels else None


def check_label_reading(raw: pd.DataFrame, labels: Sequence[str], by: str = "auto") -> None:
    """Refuse (`auto` only) whole-number label values that name one class by name and another
    by class id (labels `["1", "0"]`, values 0/1): which was meant is not in the file."""
    if by != "auto":
        return
    keys = Counter(value_key(v) for v in raw["label_name"] if not _missing(v, labels))
    clash = [
        k
        for k in keys
        if k in labels and _as_id(k, len(labels)) not in (None, list(labels).index(k))
    ]
    if clash:
        k = clash[0]
        raise DataError(
            f"label value {k} names class {k!r} by name but {labels[_as_id(k, len(labels))]!r} "
            f"by class id (labels {list(labels)}; values {named_counts(keys)}). Say which is "
            "meant: origin.label_values: names or origin.label_values: ids"
        )


def unknown_labels(raw: pd.DataFrame, labels: Sequence[str], by: str = "auto") -> Counter:
    """The label values that name no class, with their counts."""
    return Counter(
        str(value_key(v))
        for v in raw["label_name"]
        if not _missing(v, labels) and _label_id(v, labels, by) is None
    )


def unknown_hint(values: Counter, labels: Sequence[str], by: str = "auto") -> str:
    """What unknown label values are, and how to read them, for a message."""
    allowed = f"class ids 0..{len(labels) - 1}" if by == "ids" else f"the labels {list(labels)}"
    hint = "origin.label_map renames a source's values"
    if by != "ids" and all(_as_id(v, len(labels)) is not None for v in values):
        hint = "they look like class ids: set origin.label_values: ids"
    return f"unknown label values {named_counts(values)} (not {allowed}; {hint})"


def label_values(raw: pd.DataFrame, labels: Sequence[str]) -> Counter:
    """Every label value of the source with its count, a missing one as `(missing)`."""
    return Counter("(missing)" if _missing(v, labels) else value_key(v) for v in raw["label_name"])


def named_counts(counts: Mapping[str, int], limit: int = 10) -> str:
    """`'Positive' 20, 'neg' 3`: the most common values first, at most `limit` of them."""
    text = ", ".join(f"{v!r} {n}" for v, n in Counter(counts).most_common(limit))
    return text + (f" and {len(counts) - limit} more" if len(counts) > limit else "")


# Rows that cannot be used, each counted under the first reason it meets. `merged_rows` (a
# record of a CSV/TSV that swallowed further rows) is counted only for those formats.
MALFORMED = ("merged_rows", "no_id", "no_text", "no_label", "unknown_label", "duplicate_id")


def clean(
    raw: pd.DataFrame,
    labels: Sequence[str],
    on_bad_rows: str = "drop",
    label_values: str = "auto",
    where: str = "the table",
) -> tuple[pd.DataFrame, Counter]:
    """Map label values to class ids and drop (or refuse) rows that cannot be used.

    Reasons counted: a reader's own `drop_reason` column (e.g. `neutral_band`, a deliberate
    selection, not an error), then the malformed rows: `merged_rows` (a CSV/TSV record that
    swallowed further rows: `merged_records`), `no_id` (a missing or blank id; never kept,
    since predictions are matched by id), `no_text` (missing or blank), `no_label` (the source
    gives none: null, NaN or an empty/NA string), `unknown_label` (names no class; the values
    are logged with their counts) and `duplicate_id`. Texts are stripped of surrounding white
    space, nothing else. `where` names the file in messages.
    """
    drops: Counter = Counter()
    raw = left_out_by_reader(raw, drops)
    check_label_reading(raw, labels, label_values)
    masks = malformed_masks(raw, labels, label_values)
    bad = np.zeros(len(raw), dtype=bool)
    for reason, m in masks.items():
        m = m & ~bad  # count each dropped row once, under its first reason
        drops[reason] = int(m.sum())
        bad |= m
    values = unknown_labels(raw, labels, label_values)
    what = unknown_hint(values, labels, label_values) if values else ""
    if bad.any():
        report_malformed(raw, masks, drops, what, on_bad_rows, where)
    out = kept_rows(raw, bad, labels, label_values)
    if out.empty:
        raise DataError("no usable rows" + (f": {what}" if values else ""))
    return out, drops


def left_out_by_reader(raw: pd.DataFrame, drops: Counter) -> pd.DataFrame:
    """The rows a reader did not mark with a `drop_reason` (counted in `drops` by reason)."""
    if "drop_reason" not in raw:
        return raw
    chosen = raw["drop_reason"].notna()
    for reason, n in raw.loc[chosen, "drop_reason"].value_counts().items():
        drops[reason] = int(n)
        log.info("left out %d rows: %s", n, reason)
    return raw[~chosen].drop(columns="drop_reason").reset_index(drop=True)


def malformed_masks(raw: pd.DataFrame, labels: Sequence[str], by: str) -> dict[str, np.ndarray]:
    """{reason: rows that meet it}, in MALFORMED's order (a row may meet several)."""
    text = raw["text"].astype("string").str.strip()
    no_label = np.array([_missing(v, labels) for v in raw["label_name"]], dtype=bool)
    unknown = np.array([_label_id(v, labels, by) is None for v in raw["label_name"]]) & ~no_label
    ids = raw["id"].map(id_text)
    no_id = ids.isna().to_numpy()
    masks = {
        "no_id": no_id,
        "no_text": (text.isna() | (text == "")).to_numpy(dtype=bool),
        "no_label": no_label,
        "unknown_label": unknown,
        "duplicate_id": ids.duplicated(keep="first").to_numpy() & ~no_id,
    }
    if "merged" in raw:
        masks = {"merged_rows": raw["merged"].to_numpy(dtype=bool)} | masks
    return masks


def merged_lines(raw: pd.DataFrame, limit: int = 5) -> str:
    """`lines 4-7, 30-31`: where the records that swallowed further rows lie in the file."""
    if "merged" not in raw or not raw["merged"].any():
        return ""
    rows = raw[raw["merged"].astype(bool)]
    spans = [f"{a}-{a + n - 1}" for a, n in zip(rows["line"], rows["lines"], strict=True)]
    more = f" and {len(spans) - limit} more" if len(spans) > limit else ""
    return "lines " + ", ".join(spans[:limit]) + more


MERGED_FIX = (
    'an unmatched quote (") in a text reads on to the next quote, taking the rows between '
    'into one text: quote that text and double its inner quotes ("")'
)


def report_malformed(
    raw: pd.DataFrame,
    masks: dict[str, np.ndarray],
    drops: Counter,
    what: str,
    on_bad_rows: str,
    where: str,
) -> None:
    """Log the malformed rows by reason, or with `on_bad_rows: error` stop naming them."""
    merged = merged_lines(raw)
    if merged:
        merged = f"{where}, {merged}: a record holds what reads as further rows; {MERGED_FIX}"
    if on_bad_rows == "error":
        first = {r: raw["id"][m].head(3).tolist() for r, m in masks.items() if m.any()}
        bad = sum(drops[r] for r in masks)
        details = "".join(f"; {w}" for w in (merged, what) if w)
        raise DataError(
            f"{bad} malformed rows (e.g. {first}){details}; set data.on_bad_rows: drop to skip them"
        )
    for reason in masks:
        if drops[reason]:
            log.warning("dropped %d rows: %s", drops[reason], reason)
    if merged:
        log.warning("dropped as merged_rows: %s", merged)
    if what:
        log.warning("dropped as unknown_label: %s", what)


def kept_rows(raw: pd.DataFrame, bad: np.ndarray, labels: Sequence[str], by: str) -> pd.DataFrame:
    """The good rows as (id, text, label = class id)."""
    good = raw[~bad]
    return pd.DataFrame(
        {
            "id": good["id"].map(id_text).to_numpy(dtype=object),
            "text": good["text"].astype("string").str.strip().astype(str).to_numpy(),
            "label": np.array([_label_id(v, labels, by) for v in good["label_name"]], np.int64),
        }
    )


def drop_duplicate_texts(rows: pd.DataFrame) -> tuple[pd.DataFrame, Counter]:
    """Keep the first row of each exact text (after `clean`'s stripping); the others are
    counted as `duplicate_text`. A repeat with another label than the kept row is logged, as
    it tells of label noise in the source."""
    repeat = rows["text"].duplicated(keep="first")
    first_label = rows.drop_duplicates("text").set_index("text")["label"]
    kept_label = first_label.loc[rows.text[repeat]].to_numpy()
    other = int((rows.loc[repeat, "label"].to_numpy() != kept_label).sum())
    if repeat.any():
        log.info(
            "left out %d rows: duplicate_text (%d of them labelled otherwise than the kept row)",
            int(repeat.sum()),
            other,
        )
    return rows[~repeat].reset_index(drop=True), Counter({"duplicate_text": int(repeat.sum())})


def keep_class_shares(
    rows: pd.DataFrame, shares: dict[str, float], labels: Sequence[str], seed: int
) -> tuple[pd.DataFrame, Counter]:
    """Keep a seeded random share of the named classes' rows (an imbalanced variant of a
    balanced dataset); the rows left out are counted as `class_keep_<label>`."""
    left: Counter = Counter()
    if not shares:
        return rows, left
    rng = np.random.default_rng(seed)
    rows = rows.sort_values("id", kind="stable").reset_index(drop=True)
    drop = np.zeros(len(rows), dtype=bool)
    for name, share in shares.items():
        idx = np.flatnonzero(rows.label.to_numpy() == labels.index(name))
        out = rng.permutation(idx)[round(share * len(idx)) :]
        drop[out] = True
        left[f"class_keep_{name}"] = len(out)
        log.info("left out %d of %d %r rows (class_keep %.3g)", len(out), len(idx), name, share)
    return rows[~drop].reset_index(drop=True), left


def same_text(texts: pd.Series) -> pd.Series:
    """Texts compared for being the same: white space runs made one space, case kept."""
    return texts.astype(str).str.split().str.join(" ")


def without_test_texts(rest: pd.DataFrame, test: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """`rest` without the rows whose text is also in `test`, and how many those were."""
    shared = same_text(rest["text"]).isin(set(same_text(test["text"]))).to_numpy()
    if shared.any():
        log.warning(
            "left out %d rows whose text is also in the test set: text_in_two_splits (e.g. %r)",
            int(shared.sum()),
            rest["text"].to_numpy()[shared][0][:80],
        )
    return rest[~shared], int(shared.sum())


def split(
    df: pd.DataFrame,
    seed: int,
    pool_size: int,
    val_size: int,
    test_size: int,
    name: str = "dataset",
    largest_size: int = 1,
    texts_in_two_splits: str = "drop",
    dropped: Counter | None = None,
) -> dict[str, pd.DataFrame]:
    """Stratified test / validation / pool split; the pool is capped, the rest is unused.

    With `texts_in_two_splits="drop"` the rows whose text (`same_text`) is also in the test set
    are left out before the validation set and pool are drawn, counted in `dropped` as
    `text_in_two_splits`: a test item seen in training inflates every student's score.

    Test and validation sets have exactly their configured sizes, and the pool holds at least
    `largest_size` rows (the largest training size of the dataset); a dataset too small for
    that stops here with one message, never with silently smaller splits.
    Deterministic given the seed and the rows (rows are first put in id order).
    """
    df = df.sort_values("id", kind="stable").reset_index(drop=True)
    n = len(df)
    need = test_size + val_size + max(largest_size, 1)
    if n < need:
        raise DataError(
            f"dataset {name!r} has {n} usable rows, too few for the config: splits.test_size "
            f"{test_size} + splits.val_size {val_size} + a training pool of at least "
            f"{max(largest_size, 1)} (its largest training size) = {need} rows. Lower "
            f"splits.test_size/val_size or the training sizes (grid.sizes, "
            f"grid.dataset_sizes.{name}), or use more rows."
        )
    test_n, val_n = test_size, val_size
    strat = df["label"] if df["label"].value_counts().min() >= 3 else None
    rest, test = train_test_split(df, test_size=test_n, random_state=seed, stratify=strat)
    if texts_in_two_splits == "drop":
        rest, n = without_test_texts(rest, test)
        if dropped is not None:
            dropped["text_in_two_splits"] = n
        if len(rest) < val_n + max(largest_size, 1):
            raise DataError(
                f"dataset {name!r}: after leaving out {n} rows whose text is also in the test "
                f"set, {len(rest)} rows are left for splits.val_size {val_n} + a training pool "
                f"of at least {max(largest_size, 1)}. Use more rows or smaller splits."
            )
    strat = rest["label"] if strat is not None else None
    rest, val = train_test_split(rest, test_size=val_n, random_state=seed + 1, stratify=strat)
    pool_n = min(pool_size, len(rest))
    if pool_n < len(rest):
        strat = rest["label"] if strat is not None else None
        pool, _ = train_test_split(rest, train_size=pool_n, random_state=seed + 2, stratify=strat)
    else:
        pool = rest
    return {
        k: v.sort_values("id", kind="stable").reset_index(drop=True)
        for k, v in (("pool", pool), ("val", val), ("test", test))
    }
