"""A fetched teacher: its tokenizer checked and its weights fingerprinted once, at fetch time."""

import json
import shutil

import pytest
import yaml

from conftest import ROOT, snakemake
from labelrisk.fetch.fingerprint import fingerprint
from labelrisk.fetch.pypi import sha256_of
from labelrisk.fetch.tokenizer import TokenizerError, check_tokenizer

pytestmark = pytest.mark.e2e


def local_teacher(tmp_path, source, files):
    """A `local` teacher folder with some of the files of the small test teacher."""
    folder = tmp_path / "my-teacher"
    folder.mkdir()
    for name in files:
        shutil.copy(source / name, folder / name)
    cfg = {"teachers": {"mine-t": {"origin": {"kind": "local", "path": str(folder)}}}}
    (tmp_path / "t.yaml").write_text(yaml.safe_dump(cfg))
    args = [
        "-d",
        str(tmp_path),
        "--configfile",
        str(ROOT / "config.yaml"),
        str(tmp_path / "t.yaml"),
    ]
    return folder, args


def test_a_teacher_folder_without_a_tokenizer_stops_at_fetch_time(models, tmp_path):
    folder, args = local_teacher(
        tmp_path, models["teacher"], ["config.json", "tokenizer_config.json", "model.safetensors"]
    )
    res = snakemake("resources/teachers/mine-t", "--cores", "1", *args, check=False)
    assert res.returncode != 0
    log = (tmp_path / "logs/resources/teacher_mine-t.log").read_text()
    assert (
        f"teacher 'mine-t' ({folder}) has no tokenizer: none of "
        "tokenizer.json, tokenizer.model, vocab.json + merges.txt, vocab.txt, tokenizer.tiktoken "
        "is in the folder"
    ) in log


def test_a_broken_tokenizer_is_named(models, tmp_path):
    folder = tmp_path / "t"
    folder.mkdir()
    shutil.copy(models["teacher"] / "config.json", folder)
    (folder / "tokenizer.json").write_text("{}")
    with pytest.raises(TokenizerError, match=r"teacher 't' \(.*\): the tokenizer cannot be loaded"):
        check_tokenizer(folder, "t")


def test_the_fingerprint_is_written_beside_the_fetched_teacher(models, tmp_path):
    names = ["config.json", "tokenizer.json", "tokenizer_config.json", "chat_template.jinja"]
    folder, args = local_teacher(tmp_path, models["teacher"], names)
    (folder / ".cache").mkdir()
    (folder / ".cache" / "x").write_text("not part of the model")
    snakemake("resources/teachers/mine-t", "--cores", "1", *args)
    fp = json.loads((tmp_path / "resources/teachers/mine-t.fingerprint.json").read_text())
    assert fp["files"] == {n: sha256_of(folder / n) for n in sorted(names)}
    assert fp == fingerprint(folder) == fingerprint(tmp_path / "resources/teachers/mine-t")
    # Another folder with the same files under another name has the same fingerprint; a
    # changed file changes it.
    twin = tmp_path / "twin"
    shutil.copytree(folder, twin)
    assert fingerprint(twin)["sha256"] == fp["sha256"]
    (twin / "config.json").write_text("{}")
    assert fingerprint(twin)["sha256"] != fp["sha256"]
