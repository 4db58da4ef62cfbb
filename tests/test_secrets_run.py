"""A whole workflow run with a chat teacher whose server echoes the key in its errors: after a
failed run, a recovered run and the report, no file of the working directory holds the key."""

import os
import zipfile

import pytest
from openai_stub import MODEL, Stub

from conftest import ROOT, WORK, snakemake

pytestmark = pytest.mark.e2e

CANARY = "sk-canary-0d4e9a7b13c5f286"
KEY_ENV = "LABELRISK_CANARY_KEY"

OVERLAY = """
grid: {{datasets: [movies], teachers: [srv], seeds: [1, 2], sizes: [16]}}
annotation: {{members: 1}}
mitigations: {{teachers: [], ensemble: false, soft: false, learned_alphas: [], cleanlab: [],
  entropy_alphas: [], calibrated: []}}
teachers:
  srv:
    backend: openai_chat
    accept_weak: true
    openai: {{base_url: "{url}", model: {model}, api_key_env: {key}, max_retries: 3,
      backoff: 0.01, concurrency: 1}}
"""


def files_under(root):
    for folder, _dirs, files in os.walk(root):  # shared folders (symlinks): not walked
        for name in files:
            yield os.path.join(folder, name)


def test_the_key_is_in_no_file_after_failed_and_recovered_runs_and_the_report(
    models, tmp_path, monkeypatch
):
    stub = Stub()
    monkeypatch.setenv(KEY_ENV, CANARY)
    (tmp_path / "resources").mkdir()  # the answer cache is written here, the models shared
    for shared in ("students", "datasets", "downloads"):
        (tmp_path / "resources" / shared).symlink_to(WORK / "resources" / shared)
    overlay = tmp_path / "srv.yaml"
    overlay.write_text(OVERLAY.format(url=stub.url, model=MODEL, key=KEY_ENV))
    configs = [str(ROOT / "config.yaml"), str(ROOT / "tests/data/tiny_config.yaml"), str(overlay)]
    args = ["--cores", "2", "-d", str(tmp_path), "--configfile", *configs]
    try:
        # the key refused and echoed back, to the /tokenize probe (a warning) and to the first
        # question (the run stops)
        stub.faults = ["echo401"] * 2
        failed = snakemake(*args, check=False)
        assert failed.returncode != 0
        assert "HTTP 401" in failed.stdout + failed.stderr
        stub.faults = ["echo500", "error200", "html"]  # echoed in errors that are retried
        done = snakemake(*args)
        report = tmp_path / "report.zip"
        snakemake("--report", str(report), "-d", str(tmp_path), "--configfile", *configs)
    finally:
        stub.close()
    assert stub.auth_headers and set(stub.auth_headers) == {f"Bearer {CANARY}"}  # it was sent
    outputs = [failed.stdout, failed.stderr, done.stdout, done.stderr]
    written = list(files_under(tmp_path))
    assert any("/.snakemake/log/" in p for p in written) and any("/logs/" in p for p in written)
    assert "resources/teacher_answers.sqlite" in {os.path.relpath(p, tmp_path) for p in written}
    with zipfile.ZipFile(report) as z:
        unpacked = [z.read(n) for n in z.namelist()]
    for needle in (CANARY, CANARY[3:15]):
        assert not any(needle in out for out in outputs)
        assert not any(needle.encode() in blob for blob in unpacked)
        for p in written:
            with open(p, "rb") as f:
                assert needle.encode() not in f.read(), p
