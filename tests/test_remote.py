"""url and hf sources: checksummed, atomic downloads from a local HTTP server; Hub files read
through the real client from a local cache; failures name the source."""

import hashlib
import shutil
import zipfile

import pandas as pd
import pytest
import yaml

from conftest import ROOT, hub_cache
from labelrisk.data.dataset import load_raw
from labelrisk.fetch import remote as remote
from labelrisk.fetch.remote import RemoteError, download_url, hub_file, hub_snapshot

pytestmark = pytest.mark.unit

REV = "e6281661ce1c48d982bc483cf8a173c1bbeb5d31"


def test_url_is_downloaded_once_checked_and_renamed_into_place(server, tmp_path):
    base, www, hits = server
    (www / "data.csv").write_bytes(b"label,text\n1,good\n")
    digest = hashlib.sha256(b"label,text\n1,good\n").hexdigest()
    cache = tmp_path / "cache"
    got = download_url(f"{base}/data.csv?download=1", digest, cache)
    assert got.read_bytes() == b"label,text\n1,good\n"
    url_key = hashlib.sha256(f"{base}/data.csv?download=1".encode()).hexdigest()[:16]
    assert got.name == f"{url_key}-{digest[:16]}-data.csv"
    assert [p.name for p in cache.iterdir()] == [got.name]  # no partial file left
    assert download_url(f"{base}/data.csv?download=1", digest, cache) == got
    assert len(hits) == 1  # the second call read the cache


def test_checksum_mismatch_names_the_url_and_keeps_nothing(server, tmp_path):
    base, www, _ = server
    (www / "data.csv").write_bytes(b"tampered")
    cache = tmp_path / "cache"
    with pytest.raises(RemoteError, match=r"data\.csv: mismatch of the pinned sha256"):
        download_url(f"{base}/data.csv", "0" * 64, cache)
    assert list(cache.iterdir()) == []


def test_md5_pins_a_url_like_sha256(server, tmp_path, caplog):
    # Zenodo records publish md5 only (the paper's Ecommerce file).
    base, www, hits = server
    (www / "data.csv").write_bytes(b"label,text\n1,good\n")
    md5 = hashlib.md5(b"label,text\n1,good\n").hexdigest()
    cache = tmp_path / "cache"
    got = download_url(f"{base}/data.csv", None, cache, md5=md5)
    assert got.read_bytes() == b"label,text\n1,good\n" and md5[:16] in got.name
    assert "not pinned" not in caplog.text
    got.write_bytes(b"torn")  # re-checked in the cache, downloaded again
    assert download_url(f"{base}/data.csv", None, cache, md5=md5).read_bytes().endswith(b"good\n")
    assert len(hits) == 2
    with pytest.raises(RemoteError, match=rf"mismatch of the pinned md5 \(expected {'0' * 32}"):
        download_url(f"{base}/data.csv", None, tmp_path / "c2", md5="0" * 32)
    assert list((tmp_path / "c2").iterdir()) == []
    # Both pinned: both must match.
    sha = hashlib.sha256(b"label,text\n1,good\n").hexdigest()
    with pytest.raises(RemoteError, match="pinned md5"):
        download_url(f"{base}/data.csv", sha, tmp_path / "c3", md5="0" * 32)


def test_unreachable_url_names_the_url(server, tmp_path):
    base, _, _ = server
    with pytest.raises(RemoteError, match=r"could not download .*/missing\.csv.*404"):
        download_url(f"{base}/missing.csv", None, tmp_path)


def test_unpinned_url_logs_its_digest(server, tmp_path, caplog):
    base, www, _ = server
    (www / "x.csv").write_bytes(b"abc")
    download_url(f"{base}/x.csv", None, tmp_path / "c")
    assert hashlib.sha256(b"abc").hexdigest() in caplog.text


def test_url_source_reads_a_member_of_a_zip(server, tmp_path):
    base, www, _ = server
    with zipfile.ZipFile(www / "bundle.zip", "w") as z:
        z.writestr("data/rows.tsv", "text\tlabel\nfine\tpositive\nawful\tnegative\n")
    src = {
        "kind": "url",
        "url": f"{base}/bundle.zip",
        "sha256": hashlib.sha256((www / "bundle.zip").read_bytes()).hexdigest(),
        "member": "data/rows.tsv",
        "format": "tsv",
        "text_column": "text",
        "label_column": "label",
    }
    df = load_raw(src, ["negative", "positive"], tmp_path / "cache")
    assert df.text.tolist() == ["fine", "awful"] and df.label_name.tolist() == [
        "positive",
        "negative",
    ]


def test_hub_file_comes_from_the_real_client_cache(tmp_path):
    cache = hub_cache(tmp_path, "stanfordnlp/imdb", REV, {"plain_text/a.parquet": b"PAR1"})
    got = hub_file("stanfordnlp/imdb", REV, "plain_text/a.parquet", cache, "dataset")
    assert got.read_bytes() == b"PAR1"


def test_hf_dataset_source_concatenates_files_with_distinct_ids(tmp_path):
    parts = {}
    for i, name in enumerate(["train.parquet", "test.parquet"]):
        path = tmp_path / name
        pd.DataFrame({"text": [f"t{i}a", f"t{i}b"], "label": [0, 1]}).to_parquet(path)
        parts[f"plain_text/{name}"] = path.read_bytes()
    cache = hub_cache(tmp_path / "c", "stanfordnlp/imdb", REV, parts)
    src = {
        "kind": "hf",
        "repo": "stanfordnlp/imdb",
        "revision": REV,
        "files": ["plain_text/train.parquet", "plain_text/test.parquet"],
        "format": "parquet",
        "text_column": "text",
        "label_column": "label",
    }
    df = load_raw(src, ["negative", "positive"], cache)
    assert df.id.tolist() == ["0:0", "0:1", "1:0", "1:1"]
    assert df.text.tolist() == ["t0a", "t0b", "t1a", "t1b"]


def test_hub_failure_names_repo_revision_and_file(tmp_path, monkeypatch):
    import huggingface_hub

    def offline(**kw):
        raise huggingface_hub.errors.LocalEntryNotFoundError("cannot reach the Hub")

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", offline)
    with pytest.raises(RemoteError, match=rf"'x\.parquet' .* dataset stanfordnlp/imdb@{REV}"):
        hub_file("stanfordnlp/imdb", REV, "x.parquet", tmp_path, "dataset")


def test_model_snapshot_passes_the_pin_and_cleans_up_on_failure(tmp_path, monkeypatch):
    import huggingface_hub

    calls = []

    def fake_snapshot(**kw):
        calls.append(kw)
        (tmp_path / "out").mkdir()
        (tmp_path / "out" / "config.json").write_text("{}")
        if kw["revision"] == "bad":
            raise OSError("network is unreachable")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake_snapshot)
    out = hub_snapshot("Qwen/Qwen2.5-7B-Instruct", REV, tmp_path / "out", tmp_path, ["*.json"])
    assert (out / "config.json").exists()
    assert calls[0]["repo_id"] == "Qwen/Qwen2.5-7B-Instruct" and calls[0]["revision"] == REV
    assert calls[0]["allow_patterns"] == ["*.json"]
    shutil.rmtree(tmp_path / "out")
    with pytest.raises(RemoteError, match="model Qwen/Qwen2.5-7B-Instruct@bad"):
        hub_snapshot("Qwen/Qwen2.5-7B-Instruct", "bad", tmp_path / "out", tmp_path)
    assert not (tmp_path / "out").exists()  # no half-downloaded model left as an output


def test_cache_names():
    key = hashlib.sha256(b"https://h/x/file.csv?download=1").hexdigest()[:16]
    assert remote.url_cache_name("https://h/x/file.csv?download=1", None) == f"{key}-file.csv"
    key = hashlib.sha256(b"https://h/x/file.csv").hexdigest()[:16]
    assert remote.url_cache_name("https://h/x/file.csv", "ab" * 32) == (
        f"{key}-abababababababab-file.csv"
    )
    assert remote.url_cache_name("https://h/a/data.csv", None) != remote.url_cache_name(
        "https://h/b/data.csv", None
    )


def test_unpinned_urls_with_the_same_file_name_do_not_share_the_cache(server, tmp_path):
    """Two datasets whose URLs end in `data.csv`: each reads its own rows."""
    base, www, hits = server
    for folder, n in (("a", 60), ("b", 24)):
        (www / folder).mkdir()
        rows = "".join(f"{folder}{i},text {i},{i % 2}\n" for i in range(n))
        (www / folder / "data.csv").write_text("id,text,label\n" + rows)
    cache = tmp_path / "cache"
    got = {}
    for folder in ("a", "b"):
        src = {
            "kind": "url",
            "url": f"{base}/{folder}/data.csv",
            "sha256": None,
            "format": "csv",
            "text_column": "text",
            "label_column": "label",
            "id_column": "id",
        }
        got[folder] = load_raw(src, ["neg", "pos"], cache)
    assert len(got["a"]) == 60 and len(got["b"]) == 24
    assert got["b"].id.str.startswith("b").all()
    assert sorted(hits) == ["/a/data.csv", "/b/data.csv"]


def test_a_damaged_cached_download_is_fetched_again(server, tmp_path, caplog):
    base, www, hits = server
    (www / "data.csv").write_bytes(b"label,text\n1,good\n")
    digest = hashlib.sha256(b"label,text\n1,good\n").hexdigest()
    cache = tmp_path / "cache"
    got = download_url(f"{base}/data.csv", digest, cache)
    got.write_bytes(b"label,text\n1,go")  # torn by a full disk, or edited
    assert download_url(f"{base}/data.csv", digest, cache) == got
    assert got.read_bytes() == b"label,text\n1,good\n" and len(hits) == 2
    assert f"cached {got} does not match its pinned sha256" in caplog.text
    # Unreachable now: the error names the damaged file to delete.
    got.write_bytes(b"torn")
    (www / "data.csv").unlink()
    with pytest.raises(RemoteError, match=rf"404.*the cached copy {got} is damaged: delete it"):
        download_url(f"{base}/data.csv", digest, cache)


def test_an_md5_pin_is_a_pin_for_the_config():
    from labelrisk.config import ConfigError, validate

    def config(origin):
        c = yaml.safe_load((ROOT / "config" / "paper.yaml").read_text())
        c["datasets"]["ecommerce"]["origin"] = origin
        return c

    schema = str(ROOT / "schemas" / "config.schema.yaml")
    url = {"kind": "url", "url": "https://example.org/x.csv", "sha256": None, "format": "csv"}
    validate(config({**url, "md5": "0" * 32}), schema)  # no allow_unpinned needed
    with pytest.raises(ConfigError, match=r"ecommerce.origin.sha256: None is not of type"):
        validate(config(url), schema)
    with pytest.raises(ConfigError, match=r"ecommerce.origin.md5: 'ABC' does not match"):
        validate(config({**url, "md5": "ABC"}), schema)
