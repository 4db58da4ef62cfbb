from collections import Counter

import pandas as pd
import pytest

from labelrisk.data.checks import check_classes, check_dropped_share, check_split
from labelrisk.data.dataset import (
    DataError,
    clean,
    drop_duplicate_texts,
    keep_class_shares,
    label_values,
    load_raw,
    parse_label_folders,
    parse_vader_tsv,
    read_dataset,
    read_table,
    same_text,
    split,
    unknown_labels,
)

pytestmark = pytest.mark.unit

VADER = b"1\t2.5\tgood film\r\n2\t-1.2\tbad film\r\n3\t0\tflat\r\n4\t0.4\tmild\r\n"


def test_vader_two_labels_drop_zero():
    df = parse_vader_tsv(VADER, ["negative", "positive"], 0)
    assert df.label_name.tolist()[:2] == ["positive", "negative"] and df.label_name.isna()[2]
    rows, drops = clean(df, ["negative", "positive"])
    assert rows.label.tolist() == [1, 0, 1] and drops["no_label"] == 1


def test_vader_three_labels_band():
    df = parse_vader_tsv(VADER, ["negative", "neutral", "positive"], 1.0)
    assert df.label_name.tolist() == ["positive", "negative", "neutral", "neutral"]


def test_label_folders():
    files = {"sport/001.txt": b"goal", "tech/002.txt": b"chip", "README": b"x"}
    df = parse_label_folders(files)
    assert df.label_name.tolist() == ["sport", "tech"] and df.id.tolist() == [
        "sport/001.txt",
        "tech/002.txt",
    ]


def test_clean_counts_each_bad_row_once():
    raw = pd.DataFrame(
        {
            "id": ["1", "2", "3", "3", "4", "5"],
            "text": ["ok", "  ", "fine", "dup", None, "x"],
            "label_name": ["pos", "pos", "neg", "neg", "pos", "meh"],
        }
    )
    rows, drops = clean(raw, ["neg", "pos"])
    assert rows.id.tolist() == ["1", "3"]
    assert drops == {"no_id": 0, "no_text": 2, "no_label": 0, "unknown_label": 1, "duplicate_id": 1}
    with pytest.raises(DataError, match="malformed"):
        clean(raw, ["neg", "pos"], on_bad_rows="error")


def test_labels_by_name_or_by_declared_integer_id():
    raw = pd.DataFrame(
        {"id": ["a", "b", "c", "d"], "text": ["x", "y", "z", "w"], "label_name": ["1", 0, "7", 1.0]}
    )
    # By name (the default): no value names "neg" or "pos", and the hint says they look like ids.
    with pytest.raises(DataError, match="look like class ids: set origin.label_values: ids"):
        clean(raw.iloc[[0, 1, 3]], ["neg", "pos"])
    rows, drops = clean(raw, ["neg", "pos"], label_values="ids")
    assert rows.label.tolist() == [1, 0, 1] and drops["unknown_label"] == 1
    # Digit-string labels: 0, 0.0 and "0" all name "0", whatever their type.
    rows, _ = clean(raw.iloc[[0, 1, 3]], ["0", "1"])
    assert rows.label.tolist() == [1, 0, 1]


def test_digit_labels_whose_names_and_ids_disagree_are_refused_with_the_fix():
    raw = pd.DataFrame({"id": ["a", "b"], "text": ["x", "y"], "label_name": [0, 1]})
    with pytest.raises(
        DataError,
        match=r"label value 0 names class '0' by name but '1' by class id.*"
        r"origin.label_values: names or origin.label_values: ids",
    ):
        clean(raw, ["1", "0"])
    assert clean(raw, ["1", "0"], label_values="names")[0].label.tolist() == [1, 0]
    assert clean(raw, ["1", "0"], label_values="ids")[0].label.tolist() == [0, 1]


def test_read_table_missing_column(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("body,label\nhello,pos\n")
    src = {"text_column": "text", "label_column": "label", "id_column": None}
    with pytest.raises(DataError, match="missing column"):
        read_table(p, "csv", src)
    src["text_column"] = "body"
    assert read_table(p, "csv", src).text.tolist() == ["hello"]


def test_split_is_deterministic_disjoint_and_stratified():
    df = pd.DataFrame(
        {
            "id": [f"{i:04d}" for i in range(1000)],
            "text": [f"t{i}" for i in range(1000)],
            "label": [0] * 800 + [1] * 200,
        }
    )
    a = split(df, 0, pool_size=300, val_size=100, test_size=200)
    b = split(df.sample(frac=1, random_state=5), 0, pool_size=300, val_size=100, test_size=200)
    for k in a:
        pd.testing.assert_frame_equal(a[k], b[k])  # row order of the input does not matter
    assert [len(a[k]) for k in ("pool", "val", "test")] == [300, 100, 200]
    ids = [set(a[k].id) for k in a]
    assert not (ids[0] & ids[1]) and not (ids[0] & ids[2]) and not (ids[1] & ids[2])
    assert a["test"].label.mean() == pytest.approx(0.2)
    assert split(df, 1, 300, 100, 200)["pool"].id.tolist() != a["pool"].id.tolist()


def test_whole_number_float_ids_are_labels(tmp_path):
    """A column of ids with one null is read as floats (parquet, JSON lines): 1.0 is class 1."""
    df = pd.DataFrame({"text": ["a", "b", "c", "d"], "label": [1, 0, None, 1]}, dtype=object)
    df["label"] = df["label"].astype("float64")
    df.to_parquet(tmp_path / "d.parquet")
    (tmp_path / "d.jsonl").write_text(
        '{"text": "a", "label": 1}\n{"text": "b", "label": 0}\n'
        '{"text": "c", "label": null}\n{"text": "d", "label": 1.0}\n'
    )
    src = {"text_column": "text", "label_column": "label", "id_column": None}
    for fmt in ("parquet", "jsonl"):
        raw = read_table(tmp_path / f"d.{fmt}", fmt, src)
        rows, drops = clean(raw, ["neg", "pos"], label_values="ids")
        assert rows.label.tolist() == [1, 0, 1], fmt
        assert drops == {
            "no_id": 0,
            "no_text": 0,
            "no_label": 1,
            "unknown_label": 0,
            "duplicate_id": 0,
        }
    rows, drops = clean(
        pd.DataFrame(
            {"id": list("abcd"), "text": list("wxyz"), "label_name": [1.5, 2.0, "1.0", 0]}
        ),
        ["neg", "pos"],
        label_values="ids",
    )
    assert rows.label.tolist() == [1, 0] and drops["unknown_label"] == 2  # 1.5 and 2 are not ids


def test_nan_and_empty_labels_count_as_no_label(tmp_path):
    (tmp_path / "d.csv").write_text("text,label\na,pos\nb,NaN\nc,\nd,nan\ne,neg\nf,sideways\n")
    src = {"text_column": "text", "label_column": "label", "id_column": None}
    rows, drops = clean(read_table(tmp_path / "d.csv", "csv", src), ["neg", "pos"])
    assert rows.label.tolist() == [1, 0]
    assert drops == {
        "merged_rows": 0,
        "no_id": 0,
        "no_text": 0,
        "no_label": 3,
        "unknown_label": 1,
        "duplicate_id": 0,
    }
    # A label that is literally named like a missing value is still that label.
    rows, drops = clean(
        pd.DataFrame({"id": ["a", "b"], "text": ["x", "y"], "label_name": ["None", "some"]}),
        ["None", "some"],
    )
    assert rows.label.tolist() == [0, 1] and drops["no_label"] == 0


def local_src(path, fmt="csv"):
    return {
        "kind": "local",
        "path": str(path),
        "format": fmt,
        "text_column": "text",
        "label_column": "label",
        "id_column": None,
    }


@pytest.mark.parametrize(
    "content, fmt, reason",
    [
        (None, "csv", "no such file"),
        (b"", "csv", "the file is empty"),
        (b"", "parquet", "the file is empty"),
        ("text,label\nsch\u00f6n,pos\n".encode("latin-1"), "csv", "not UTF-8 text"),
        (b"not a parquet file", "parquet", "ArrowInvalid"),
        (b"text,label\n", "csv", "the file has no rows"),
        (b"body,label\nx,pos\n", "csv", "missing column(s) ['text']"),
    ],
)
def test_unreadable_files_name_the_dataset_path_and_reason(tmp_path, content, fmt, reason):
    path = tmp_path / f"rows.{fmt}"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(DataError) as err:
        read_dataset("mine", local_src(path, fmt), ["neg", "pos"], tmp_path)
    assert str(err.value).startswith(f"dataset 'mine': cannot read {path}: ")
    assert reason in str(err.value)


def test_a_dataset_too_small_for_the_split_is_refused_not_capped():
    df = pd.DataFrame({"id": [f"{i:02d}" for i in range(32)], "label": [0, 1] * 16})
    df["text"] = "t" + df.id
    with pytest.raises(DataError) as err:
        split(df, 0, pool_size=96, val_size=32, test_size=200, name="tiny", largest_size=96)
    assert str(err.value).startswith(
        "dataset 'tiny' has 32 usable rows, too few for the config: splits.test_size 200 + "
        "splits.val_size 32 + a training pool of at least 96 (its largest training size) = 328 rows"
    )
    parts = split(df, 0, pool_size=96, val_size=8, test_size=8, name="tiny", largest_size=16)
    assert [len(parts[k]) for k in ("pool", "val", "test")] == [16, 8, 8]


def test_vader_two_labels_neutral_band_left_out_and_counted():
    df = parse_vader_tsv(VADER, ["negative", "positive"], 0.5)
    assert df.drop_reason.isna().tolist() == [True, True, True, False]
    rows, drops = clean(df, ["negative", "positive"])
    assert rows.id.tolist() == ["1", "2"] and rows.label.tolist() == [1, 0]
    assert drops["neutral_band"] == 1 and drops["no_label"] == 1


def test_keep_class_shares_is_seeded_and_counted():
    rows = pd.DataFrame(
        {"id": [str(i) for i in range(12)], "text": ["t"] * 12, "label": [0] * 8 + [1] * 4}
    )
    kept, left = keep_class_shares(rows, {"negative": 0.25}, ["negative", "positive"], seed=0)
    assert (kept.label == 0).sum() == 2 and (kept.label == 1).sum() == 4
    assert left == {"class_keep_negative": 6}
    again, _ = keep_class_shares(rows.iloc[::-1], {"negative": 0.25}, ["negative", "positive"], 0)
    assert again.id.tolist() == kept.id.tolist()
    assert keep_class_shares(rows, {}, ["negative", "positive"], 0)[0] is rows


def test_missing_ids_have_their_own_reason_and_are_never_kept(tmp_path):
    (tmp_path / "d.csv").write_text("rid,text,label\na,x,pos\n,y,neg\n  ,z,neg\na,w,neg\nb,v,neg\n")
    (tmp_path / "d.jsonl").write_text(
        '{"rid": 7, "text": "x", "label": 1}\n{"rid": null, "text": "y", "label": 0}\n'
        '{"rid": 8.0, "text": "z", "label": 0}\n{"rid": null, "text": "w", "label": 0}\n'
    )
    src = {"text_column": "text", "label_column": "label", "id_column": "rid"}
    rows, drops = clean(read_table(tmp_path / "d.csv", "csv", src), ["neg", "pos"])
    assert rows.id.tolist() == ["a", "b"]
    assert drops == {
        "merged_rows": 0,
        "no_id": 2,
        "no_text": 0,
        "no_label": 0,
        "unknown_label": 0,
        "duplicate_id": 1,
    }
    # Two null ids are not duplicates of each other; 8.0 is the integer id 8 (read as floats).
    rows, drops = clean(read_table(tmp_path / "d.jsonl", "jsonl", src), ["0", "1"])
    assert rows.id.tolist() == ["7", "8"] and drops["no_id"] == 2 and drops["duplicate_id"] == 0


def test_unknown_label_values_are_named_with_counts(caplog):
    raw = pd.DataFrame(
        {
            "id": [str(i) for i in range(7)],
            "text": list("abcdefg"),
            "label_name": ["Positive", "Positive", "negative", "meh", None, "1", "Positive"],
        }
    )
    labels = ["negative", "positive"]
    assert unknown_labels(raw, labels) == {"Positive": 3, "meh": 1, "1": 1}
    assert label_values(raw, labels) == {
        "Positive": 3,
        "negative": 1,
        "meh": 1,
        "(missing)": 1,
        "1": 1,
    }
    rows, drops = clean(raw, labels)
    assert rows.label.tolist() == [0] and drops["unknown_label"] == 5
    assert (
        "unknown label values 'Positive' 3, 'meh' 1, '1' 1 (not the labels ['negative', "
        "'positive']; origin.label_map renames a source's values)" in (caplog.text)
    )
    with pytest.raises(DataError) as err:
        clean(raw, labels, on_bad_rows="error")
    assert "unknown label values 'Positive' 3, 'meh' 1, '1' 1" in str(err.value)


def test_a_class_without_rows_is_named_with_the_values_seen():
    raw = pd.DataFrame(
        {
            "id": list("abcde"),
            "text": list("vwxyz"),
            "label_name": ["Positive"] * 3 + ["negative"] * 2,
        }
    )
    labels = ["negative", "positive"]
    rows, _ = clean(raw, labels)
    with pytest.raises(DataError) as err:
        check_classes("mine", rows, labels, label_values(raw, labels))
    assert str(err.value) == (
        "dataset 'mine': class 'positive' has no rows ('Positive' is not 'positive': fix the "
        "labels, or map it in origin.label_map). Label values in the source, matched to the "
        "labels by name: 'Positive' 3, 'negative' 2"
    )
    ok = pd.DataFrame(
        {"id": list("ab"), "text": list("xy"), "label_name": ["positive", "negative"]}
    )
    check_classes("mine", clean(ok, labels)[0], labels, label_values(ok, labels))


def test_a_class_emptied_by_class_keep_is_named():
    rows = pd.DataFrame({"id": list("abcd"), "text": list("wxyz"), "label": [0, 0, 1, 1]})
    labels = ["negative", "positive"]
    kept, _ = keep_class_shares(rows, {"negative": 0.001}, labels, seed=0)
    with pytest.raises(DataError, match=r"class 'negative' has no rows left after class_keep "):
        check_classes("mine", kept, labels, {"negative": 2, "positive": 2}, {"negative": 0.001})


def test_losing_more_than_the_configured_share_stops():
    drops = {"no_text": 1, "unknown_label": 3, "neutral_band": 50, "class_keep_negative": 9}
    check_dropped_share("mine", 40, drops, 0.1, Counter({"Positive": 3}))  # 4 of 40: 10%
    with pytest.raises(DataError) as err:
        check_dropped_share("mine", 39, drops, 0.1, Counter({"Positive": 3}))
    assert str(err.value).startswith(
        "dataset 'mine': 4 of its 39 rows (10%) are malformed (no_text 1, unknown_label 3; "
        "unknown label values: 'Positive' 3), more than data.max_dropped_share (0.1)."
    )


def test_a_split_without_a_class_is_refused():
    labels = ["negative", "positive"]
    df = pd.DataFrame(
        {"id": [f"{i:02d}" for i in range(30)], "text": "t", "label": [0] * 27 + [1] * 3}
    ).assign(text=lambda d: "t" + d.id)
    parts = split(df, 0, pool_size=10, val_size=2, test_size=10)
    with pytest.raises(DataError) as err:
        check_split("mine", parts, labels)
    assert "dataset 'mine': class 'positive' has no rows in the validation set" in str(err.value)
    assert "validation set: negative 2;" in str(err.value)
    check_split("mine", split(df, 0, 10, 10, 10), labels)


def test_duplicate_texts_are_dropped_and_counted_only_when_asked():
    rows = pd.DataFrame(
        {"id": list("abcde"), "text": ["x", "y", "x", "x", "z"], "label": [0, 1, 0, 1, 1]}
    )
    kept, left = drop_duplicate_texts(rows)
    assert kept.id.tolist() == ["a", "b", "e"] and left == {"duplicate_text": 2}


def test_jsonl_with_a_byte_order_mark(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"text": "a", "label": 1}\n{"text": "b", "label": 0}\n')
    src = {"text_column": "text", "label_column": "label", "id_column": None}
    assert read_table(path, "jsonl", src).label_name.tolist() == [1, 0]
    assert read_table(path.read_bytes(), "jsonl", src).text.tolist() == ["a", "b"]


def test_a_non_utf8_byte_is_named_by_its_offset_and_line_in_the_file(tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(("text,label\n" + "ok,pos\n" * 100_000 + "sch\u00f6n,pos\n").encode("latin-1"))
    with pytest.raises(DataError) as err:
        read_dataset("mine", local_src(path), ["neg", "pos"], tmp_path)
    # 11 header bytes + 100,000 lines of 7 bytes + "sch": the 700,014th byte, on line 100,002.
    assert "not UTF-8 text (invalid start byte at byte 700014, line 100002)" in str(err.value)


def test_label_map_reads_the_manifestos_spelling(tmp_path):
    """The public Manifestos copy labels rows Future / Present / Past."""
    path = tmp_path / "cc_muller.csv"
    path.write_text(
        "text,class\nWe will build.,Future\nWe are strong.,Present\nWe built.,Past\n"
        "We shall win.,Future\nOnce upon a time.,past\n"
    )
    src = dict(local_src(path), label_column="class")
    src["label_map"] = {"Future": "future", "Present": "present", "Past": "past"}
    labels = ["present", "future", "past"]
    rows, drops = clean(load_raw(src, labels, tmp_path), labels)
    assert rows.label.tolist() == [1, 0, 2, 1, 2] and sum(drops.values()) == 0


def save_in_every_format(df: pd.DataFrame, folder) -> dict[str, object]:
    """The same table as CSV, TSV, JSON lines and parquet (as pandas writes each)."""
    df.to_csv(folder / "t.csv", index=False)
    df.to_csv(folder / "t.tsv", sep="\t", index=False)
    df.to_json(folder / "t.jsonl", orient="records", lines=True)
    df.to_parquet(folder / "t.parquet", index=False)
    return {fmt: folder / f"t.{fmt}" for fmt in ("csv", "tsv", "jsonl", "parquet")}


@pytest.mark.parametrize(
    "values, labels, label_map, by, meant",
    [
        # value -> the label it means; label_map keys unquoted (ints) or quoted, both work
        ([0, 1], ["negative", "positive"], {0: "negative", 1: "positive"}, "auto", "np"),
        ([0, 1], ["negative", "positive"], {"0": "positive", "1": "negative"}, "auto", "pn"),
        ([0, 1], ["negative", "positive"], None, "ids", "np"),
        ([0, 1], ["0", "1"], None, "auto", "np"),
        ([0, 1], ["1", "0"], None, "names", "pn"),
        ([0, 1], ["1", "0"], None, "ids", "np"),
        (
            ["neg", "pos"],
            ["negative", "positive"],
            {"neg": "negative", "pos": "positive"},
            "auto",
            "np",
        ),
    ],
)
def test_the_same_table_in_every_format_gives_the_same_splits(
    tmp_path, values, labels, label_map, by, meant
):
    # 40 rows, value of row i: values[i % 2]; "np": values[0] means the first label.
    df = pd.DataFrame(
        {"rid": [f"r{i:02d}" for i in range(40)], "text": [f"review {i}" for i in range(40)]}
    )
    df["label"] = [values[i % 2] for i in range(40)]
    want = {f"r{i:02d}": (i % 2 if meant == "np" else 1 - i % 2) for i in range(40)}
    splits = {}
    for fmt, path in save_in_every_format(df, tmp_path).items():
        src = dict(local_src(path, fmt), id_column="rid", label_map=label_map)
        rows, drops = clean(load_raw(src, labels, tmp_path), labels, label_values=by)
        assert sum(drops.values()) == 0, fmt
        assert dict(zip(rows.id, rows.label, strict=True)) == want, fmt
        splits[fmt] = split(rows, 0, 16, 8, 8)
    for fmt in ("tsv", "jsonl", "parquet"):
        for part in ("pool", "val", "test"):
            pd.testing.assert_frame_equal(splits[fmt][part], splits["csv"][part])


def test_digit_labels_named_otherwise_than_their_ids_are_refused_in_every_format(tmp_path):
    df = pd.DataFrame({"text": [f"t{i}" for i in range(6)], "label": [0, 1] * 3})
    for fmt, path in save_in_every_format(df, tmp_path).items():
        raw = load_raw(local_src(path, fmt), ["1", "0"], tmp_path)
        with pytest.raises(DataError, match="say which is meant|Say which is meant"):
            clean(raw, ["1", "0"])


def test_star_ratings_1_to_5_read_by_name_fill_every_class(tmp_path):
    """Integers 1-5 with labels "1".."5": by name each star is its class (by id, 1 would be
    "2" and 5 no class at all), so `auto` asks which is meant and `names` reads them."""
    (tmp_path / "t.jsonl").write_text(
        "".join(f'{{"text": "t{i}", "label": {i % 5 + 1}}}\n' for i in range(25))
    )
    labels = ["1", "2", "3", "4", "5"]
    raw = load_raw(local_src(tmp_path / "t.jsonl", "jsonl"), labels, tmp_path)
    with pytest.raises(DataError, match="label value 1 names class '1' by name but '2' by"):
        clean(raw, labels)
    rows, _ = clean(raw, labels, label_values="names")
    assert rows.label.value_counts().to_dict() == {0: 5, 1: 5, 2: 5, 3: 5, 4: 5}
    check_classes("stars", rows, labels, label_values(raw, labels), by="names")


def stray_quote_csv(path, n=120):
    """A real `n`-row CSV (header `id,text,label`): row r40's text opens a quote it never
    closes and row r43's text holds an inch mark (12"), as people write them."""
    lines = ["id,text,label"]
    for i in range(n):
        text = {40: '"Loved it, honestly', 43: 'The 12" ruler scene'}.get(i, f"review {i}")
        lines.append(f"r{i},{text},{'positive' if i % 2 else 'negative'}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_stray_quote_that_swallows_rows_is_named_counted_and_refused_in_strict_mode(
    tmp_path, caplog
):
    path = stray_quote_csv(tmp_path / "t.csv")
    src = {"text_column": "text", "label_column": "label", "id_column": "id"}
    raw = read_table(path, "csv", src)
    # pandas reads 117 records: r40 runs from line 42 (r40) to line 45 (r43), taking r41-r43.
    assert len(raw) == 117 and raw.merged.tolist().count(True) == 1
    assert raw.loc[raw.merged, ["id", "line", "lines"]].values.tolist() == [["r40", 42, 4]]
    rows, drops = clean(raw, ["negative", "positive"], where=str(path))
    assert len(rows) == 116 and drops["merged_rows"] == 1 and "r40" not in set(rows.id)
    assert f"dropped as merged_rows: {path}, lines 42-45: a record holds" in caplog.text
    with pytest.raises(DataError, match=rf"{path}, lines 42-45: .*unmatched quote"):
        clean(raw, ["negative", "positive"], on_bad_rows="error", where=str(path))
    # A quoted text over three lines with commas in them is not a swallowed row.
    (tmp_path / "ok.csv").write_text('id,text,label\na,"Three lines,\nstill, one\ntext",neg\n')
    raw = read_table(tmp_path / "ok.csv", "csv", src)
    assert raw.merged.tolist() == [False] and clean(raw, ["neg"])[1]["merged_rows"] == 0


def test_no_text_is_in_the_test_set_and_in_the_pool_or_validation_set(caplog):
    # 60 rows, 20 texts each given three times (ids differ; white space and not case differs).
    texts = [f"review {i % 20}" for i in range(60)]
    texts = [t if k % 3 else f"  {t.replace(' ', '   ')} " for k, t in enumerate(texts)]
    df = pd.DataFrame({"id": [f"r{i:02d}" for i in range(60)], "text": texts})
    df["label"] = [i % 20 % 2 for i in range(60)]
    dropped = Counter()
    parts = split(df, 0, pool_size=40, val_size=6, test_size=10, dropped=dropped)
    test = set(same_text(parts["test"].text))
    for part in ("pool", "val"):
        assert not set(same_text(parts[part].text)) & test, part
    # The 10 test rows hold n distinct texts; every other row of those texts is left out.
    n = len(test)
    assert dropped["text_in_two_splits"] == 3 * n - 10
    assert [len(parts[p]) for p in ("pool", "val", "test")] == [60 - 10 - 6 - (3 * n - 10), 6, 10]
    assert "text_in_two_splits" in caplog.text
    # Case is kept: "Review 1" is not "review 1".
    assert same_text(pd.Series(["Review  1 ", "review 1"])).tolist() == ["Review 1", "review 1"]
    # `keep` leaves the split as it was without the check.
    kept = split(df, 0, pool_size=40, val_size=6, test_size=10, texts_in_two_splits="keep")
    assert set(same_text(kept["pool"].text)) & set(same_text(kept["test"].text))


def test_a_two_column_csv_with_multi_line_texts_holding_commas_is_read_whole(tmp_path):
    """A text over several lines whose lines hold commas (two columns: any comma would make a
    line look like a record) is one text, unless a line ends in a label of the file."""
    text = "Soft cotton,\nmachine washable, 100%\nsize M, blue"
    (tmp_path / "p.csv").write_text(f'label,text\nclothing,"{text}"\nbooks,A novel\n')
    src = {"text_column": "text", "label_column": "label", "id_column": None}
    raw = read_table(tmp_path / "p.csv", "csv", src)
    assert raw.merged.tolist() == [False, False] and raw.lines.tolist() == [3, 1]
    assert raw.line.tolist() == [2, 5]
