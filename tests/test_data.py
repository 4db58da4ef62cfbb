import pandas as pd
import pytest

from labelrisk.data import DataError, clean, parse_label_folders, parse_vader_tsv, read_table, split

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
    assert drops == {"no_text": 2, "no_label": 0, "unknown_label": 1, "duplicate_id": 1}
    with pytest.raises(DataError, match="malformed"):
        clean(raw, ["neg", "pos"], on_bad_rows="error")


def test_labels_by_integer_id():
    raw = pd.DataFrame(
        {"id": ["a", "b", "c"], "text": ["x", "y", "z"], "label_name": ["1", 0, "7"]}
    )
    rows, drops = clean(raw, ["neg", "pos"])
    assert rows.label.tolist() == [1, 0] and drops["unknown_label"] == 1


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
            "text": ["t"] * 1000,
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
