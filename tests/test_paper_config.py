"""config/paper.yaml: valid, plans the paper's grid quickly, and its four dataset entries parse
local files shaped like the real sources through the same loader code."""

import copy
import hashlib
import re
import shutil
import time

import pandas as pd
import pytest
import yaml
from snakemake.utils import validate as fill_defaults

from conftest import ROOT, hub_cache, snakemake
from labelrisk.config import ConfigError, validate
from labelrisk.data.dataset import DataError, clean, load_raw
from labelrisk.fetch.remote import RemoteError
from labelrisk.grid import check, sizes_for, uses_hub

SCHEMA = str(ROOT / "schemas" / "config.schema.yaml")
FIXTURES = ROOT / "tests" / "data" / "paper"


@pytest.fixture(scope="module")
def paper():
    """config/paper.yaml as `--configfile config/paper.yaml` gives it: alone, the schema's
    defaults filled in (config.yaml, the CPU demo, is read only without a --configfile)."""
    config = yaml.safe_load((ROOT / "config" / "paper.yaml").read_text())
    validate(config, SCHEMA)
    fill_defaults(config, SCHEMA)
    check(config, disk=False)  # the Manifestos table is saved by hand, by the tests that need it
    return config


def rows_of(paper, name, src, cache):
    ds = paper["datasets"][name]
    by = ds["origin"]["label_values"]
    return clean(load_raw(src, ds["labels"], cache), ds["labels"], label_values=by)


# The dataset card of stanfordnlp/imdb declares its config and splits (as on the Hub).
IMDB_CARD = """---
dataset_info:
  config_name: plain_text
  features:
  - name: text
    dtype: string
  - name: label
    dtype:
      class_label:
        names:
          '0': neg
          '1': pos
configs:
- config_name: plain_text
  data_files:
  - split: train
    path: plain_text/train-*
  - split: test
    path: plain_text/test-*
  - split: unsupervised
    path: plain_text/unsupervised-*
  default: true
---
# IMDB
"""


@pytest.fixture
def offline(monkeypatch):
    """HF_HUB_OFFLINE=1, as set before the Hub client is imported."""
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)


@pytest.mark.unit
def test_imdb_through_load_dataset_from_the_hub_cache(paper, tmp_path, offline):
    """`load_dataset(repo, "plain_text", split="train+test", revision=...)`, offline, on the
    repository as the Hub client's cache holds it."""
    src = paper["datasets"]["imdb"]["origin"]
    assert (src["name"], src["split"], src["files"]) == ("plain_text", "train+test", [])
    train = (FIXTURES / "imdb_train.parquet").read_bytes()
    test = (FIXTURES / "imdb_test.parquet").read_bytes()
    files = {
        "README.md": IMDB_CARD.encode(),
        "plain_text/train-00000-of-00001.parquet": train,
        "plain_text/test-00000-of-00001.parquet": test,
        "plain_text/unsupervised-00000-of-00001.parquet": test,  # never read
    }
    cache = hub_cache(tmp_path, src["repo"], src["revision"], files)
    rows, drops = rows_of(paper, "imdb", src, cache)
    assert rows.label.tolist() == [0, 1, 0, 1] and sum(drops.values()) == 0
    assert rows.text.tolist()[:2] == pd.read_parquet(FIXTURES / "imdb_train.parquet").text.tolist()
    # The listed-files form reads the same rows.
    listed = dict(src, files=list(files)[1:3], format="parquet")
    rows_listed, _ = rows_of(paper, "imdb", listed, cache)
    assert rows_listed.text.tolist() == rows.text.tolist()
    assert rows_listed.id.tolist() == ["0:0", "0:1", "1:0", "1:1"]


@pytest.mark.unit
def test_an_unknown_hf_split_names_the_dataset(paper, tmp_path, offline):
    src = dict(paper["datasets"]["imdb"]["origin"], split="validation")
    files = {
        "README.md": IMDB_CARD.encode(),
        "plain_text/train-00000-of-00001.parquet": (FIXTURES / "imdb_train.parquet").read_bytes(),
    }
    cache = hub_cache(tmp_path, src["repo"], src["revision"], files)
    with pytest.raises(RemoteError, match=r"stanfordnlp/imdb@e628.*split 'validation'"):
        rows_of(paper, "imdb", src, cache)


@pytest.mark.unit
def test_ecommerce_headerless_csv_by_url(paper, server, tmp_path):
    base, www, _ = server
    shutil.copy(FIXTURES / "ecommerceDataset.csv", www / "ecommerceDataset.csv")
    src = dict(paper["datasets"]["ecommerce"]["origin"], url=f"{base}/ecommerceDataset.csv")
    # The record publishes md5 only: unpinned, and allowed to run so only by its flag.
    assert src["sha256"] is None and src["allow_unpinned"] is True
    rows, drops = rows_of(paper, "ecommerce", src, tmp_path)
    # labels: books, clothing & accessories, electronics, household
    assert rows.label.tolist() == [3, 3, 0, 0, 1, 1, 2, 2, 2]
    assert drops["no_text"] == 1  # a listing without a description
    assert rows.text[0].startswith("Paper Plane Design") and "," in rows.text[4]


@pytest.mark.unit
def test_an_unpinned_download_without_its_flag_stops_before_any_job(paper):
    bad = copy.deepcopy(paper)
    del bad["datasets"]["ecommerce"]["origin"]["allow_unpinned"]
    with pytest.raises(ConfigError, match=r"datasets.ecommerce.origin.sha256: None is not of type"):
        validate(bad, SCHEMA)
    bad["datasets"]["ecommerce"]["origin"]["sha256"] = "0" * 64  # pinned: no flag needed
    validate(bad, SCHEMA)


@pytest.mark.unit
def test_manifestos_cc_muller_export(paper, tmp_path):
    """A stand-in shaped as the `cc_muller` export: its columns, `Future`/`Present`/`Past`,
    empty sentence ids (as on 2,158 real rows), a blank text and a repeated sentence."""
    src = dict(paper["datasets"]["manifestos"]["origin"])
    assert src["path"] == "resources/downloads/manifestos/cc_muller.csv"
    src["path"] = str(FIXTURES / "cc_muller.csv")
    rows, drops = rows_of(paper, "manifestos", src, tmp_path)
    # labels: present, future, past
    assert rows.label.tolist() == [1, 2, 0, 0, 1, 2, 1, 1]
    assert rows.id.tolist() == ["0", "1", "2", "3", "5", "6", "7", "8"]  # row numbers
    assert drops["no_text"] == 1 and drops["unknown_label"] == 0 and drops["duplicate_id"] == 0
    assert rows.text[4] == 'A re-elected government will index the "Seniors\' Credit" to inflation.'
    # Without the label_map every row is an unknown label and the dataset has no usable rows.
    with pytest.raises(DataError, match="no usable rows"):
        rows_of(paper, "manifestos", dict(src, label_map=None), tmp_path)


@pytest.mark.unit
def test_toxic_davidson_csv_by_url(paper, server, tmp_path):
    base, www, _ = server
    data = (FIXTURES / "labeled_data.csv").read_bytes()
    (www / "labeled_data.csv").write_bytes(data)
    src = dict(paper["datasets"]["toxic"]["origin"], url=f"{base}/labeled_data.csv")
    src["sha256"] = hashlib.sha256(data).hexdigest()
    rows, drops = rows_of(paper, "toxic", src, tmp_path)
    # class 0 = hate speech, 1 = offensive language, 2 = neither
    assert rows.label.tolist() == [2, 1, 1, 0, 2, 1]
    assert rows.text[5] == 'RT @user: you a bitch for that, "fr"' and drops["no_text"] == 1


@pytest.mark.unit
def test_toxic_wrong_checksum_stops_naming_the_url(paper, server, tmp_path):
    base, www, _ = server
    shutil.copy(FIXTURES / "labeled_data.csv", www / "labeled_data.csv")
    src = dict(paper["datasets"]["toxic"]["origin"], url=f"{base}/labeled_data.csv")
    with pytest.raises(RemoteError, match="labeled_data.csv: mismatch of the pinned sha256"):
        rows_of(paper, "toxic", src, tmp_path)


@pytest.mark.unit
def test_sizes_per_dataset(paper):
    assert (
        sizes_for(paper, "imdb")[:3] == [1000, 1250, 1500] and len(sizes_for(paper, "imdb")) == 17
    )
    assert sizes_for(paper, "manifestos")[-1] == 2500
    assert [
        d for d in paper["grid"]["datasets"] if sizes_for(paper, d) != paper["grid"]["sizes"]
    ] == ["manifestos"]


@pytest.mark.unit
def test_hub_access_is_allowed_only_where_the_grid_needs_it(paper):
    default = yaml.safe_load((ROOT / "config.yaml").read_text())
    assert uses_hub(paper) and not uses_hub(default)


@pytest.mark.unit
def test_sizes_of_an_unknown_dataset_are_refused(paper):
    bad = copy.deepcopy(paper)
    bad["grid"]["dataset_sizes"]["bbc"] = [10]
    bad["grid"]["dataset_sizes"]["manifestos"] = [6000]
    with pytest.raises(ValueError) as e:
        check(bad)
    assert "grid.dataset_sizes: 'bbc' is not in grid.datasets" in str(e.value)
    assert "grid.dataset_sizes.manifestos: 6000 is larger than splits.pool_size" in str(e.value)


@pytest.mark.unit
@pytest.mark.parametrize("kind, missing", [("hf", "revision"), ("url", "sha256"), ("hf", "repo")])
def test_remote_origins_need_their_pins(paper, kind, missing):
    bad = copy.deepcopy(paper)
    name = {"hf": "imdb", "url": "toxic"}[kind]
    del bad["datasets"][name]["origin"][missing]
    with pytest.raises(ConfigError, match=f"datasets.{name}.origin: '{missing}' is a required"):
        validate(bad, SCHEMA)


@pytest.mark.dag
def test_dry_run_plans_the_paper_grid(tmp_path):
    paper = str(ROOT / "config" / "paper.yaml")
    # The manifestos table is saved by hand (a local source, so an input: a missing one stops
    # the dry run); a stand-in file lets the plan be made.
    saved = tmp_path / "resources/downloads/manifestos/cc_muller.csv"
    saved.parent.mkdir(parents=True)
    saved.write_bytes((FIXTURES / "cc_muller.csv").read_bytes())
    start = time.monotonic()
    res = snakemake("-n", "-d", str(tmp_path), "--configfile", paper)
    print(f"paper grid planned in {time.monotonic() - start:.1f} s")  # measured, not asserted
    jobs = dict(re.findall(r"^(\w+)\s+(\d+)$", res.stdout, flags=re.M))
    sources = 1 + 2 + 3  # gold, two teachers, entropy 5 / 25 and ensemble of the 7B
    # One training job per (dataset, source, seed) covers every size of that dataset.
    assert jobs["train_student"] == str(4 * sources * 5)
    # Datasets x members: five for the 7B (its ensemble reads them all), one for the 3B.
    assert jobs["annotate_vllm"] == str(4 * (5 + 1))
    assert jobs["fetch_teacher"] == "2" and jobs["fetch_dataset"] == "4"
    by_run = ["--config", "training={runs_per_job: run}"]  # a label-set file per run
    files = snakemake("-d", str(tmp_path), "--configfile", paper, *by_run, "--summary").stdout
    runs = re.findall(r"results/label_sets/(\w+)/\S+/n(\d+)_seed\d+\.parquet", files)
    assert len(set(runs)) < len(runs) == sources * 5 * (3 * 17 + 7)  # every size and seed
    assert max(int(n) for d, n in runs if d == "manifestos") == 2500
