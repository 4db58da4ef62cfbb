"""The benchmark command docs/performance.md gives runs (its cheap part: the dry runs)."""

import subprocess
import sys

import pytest

from conftest import ROOT

pytestmark = pytest.mark.dag


def test_the_workflow_benchmark_runs():
    res = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks/perf.py"), "workflow"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    for part in ("the default", "the paper config, seed jobs", "the paper config, run jobs"):
        assert f"workflow: dry run of {part}" in res.stdout
