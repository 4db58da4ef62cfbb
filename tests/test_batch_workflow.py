"""The batch teacher through the workflow: `annotate_batch` sends the pool and validation items
of a member as one batch to a batch API on 127.0.0.1 (tests/batch_stub), records its cost at
the batch price, and a forced re-run pays nothing."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from batch_stub import BatchStub

from conftest import ROOT

pytestmark = pytest.mark.e2e

TARGET = "results/annotations/movies/hosted/member0.parquet"


def test_annotate_batch_sends_one_batch_and_a_rerun_pays_nothing(tmp_path):
    stub = BatchStub(step=50)
    try:
        over = tmp_path / "over.yaml"
        over.write_text(
            "grid: {datasets: [movies], teachers: [hosted], sizes: [16]}\n"
            "mitigations: {teachers: []}\n"
            "annotation: {members: 1}\n"
            "splits: {pool_size: 32, val_size: 8, test_size: 8}\n"
            "teachers:\n"
            f"  hosted: {{backend: openai_batch, openai: {{base_url: '{stub.url}',"
            " model: stub-model, api_key_env: null, price: {prompt: 2.0, completion: 8.0}},"
            " batch: {poll_seconds: 0.1}}\n"
        )
        cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--cores", "1"]
        configs = ["--configfile", str(ROOT / "config.yaml"), str(over)]
        for extra in ([], ["--forcerun", "annotate_batch"]):
            res = subprocess.run(
                [*cmd, TARGET, *extra, *configs], cwd=tmp_path, capture_output=True, text=True
            )
            assert res.returncode == 0, res.stderr[-3000:]
        assert [len(b["lines"]) for b in stub.batches.values()] == [32 + 8]  # one, once
        server = json.loads((tmp_path / TARGET).with_suffix(".json").read_text())["server"]
        assert server["calls"] == 0 and server["cache_hits"] == 40
        assert server["batch"]["requests"] == 0  # the re-run: all answers from the cache
        assert server["price_per_million_tokens"] == {"prompt": 1.0, "completion": 4.0}
        tokens = server["all_answers"]["prompt_tokens"]
        cost = (tokens * 1.0 + 40 * 4.0) / 1e6
        assert server["all_answers"]["cost"] == pytest.approx(cost)
    finally:
        stub.close()
