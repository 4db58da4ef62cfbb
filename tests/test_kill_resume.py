"""kill -9 in the middle of an annotation job, then a re-run: finished items are kept."""

import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from conftest import ROOT, TEACHER, WORK

pytestmark = pytest.mark.e2e

TARGET = f"results/annotations/movies/{TEACHER}/member0.parquet"


def test_kill_minus_nine_then_resume(models, tmp_path):
    (tmp_path / "resources").symlink_to(WORK / "resources", target_is_directory=True)
    over = tmp_path / "over.yaml"
    over.write_text(
        "grid: {datasets: [movies], teachers: [" + TEACHER + "], sizes: [100, 200]}\n"
        "mitigations: {teachers: []}\n"
        "annotation: {max_batch: 1}\n"
        "splits: {pool_size: 200, val_size: 60, test_size: 40}\n"
    )
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(ROOT / "Snakefile"),
        TARGET,
        "--cores",
        "2",
        "-d",
        str(tmp_path),
        "--configfile",
        str(ROOT / "config.yaml"),
        str(over),
    ]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    journal_dir = tmp_path / "results/.journal/movies" / TEACHER / "member0"
    deadline = time.time() + 300
    scored = 0
    while time.time() < deadline and proc.poll() is None:
        journals = list(journal_dir.glob("*.jsonl")) if journal_dir.exists() else []
        if journals and (scored := len(journals[0].read_bytes().splitlines())) >= 20:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the job ended before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (tmp_path / TARGET).exists()

    subprocess.run(cmd + ["--rerun-incomplete", "--unlock"], check=True, capture_output=True)
    res = subprocess.run(cmd + ["--rerun-incomplete"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-2000:]
    log = (tmp_path / f"logs/annotate/movies/{TEACHER}/member0.log").read_text()
    assert "resuming:" in log
    resumed = int(log.split("resuming:")[1].split()[0])
    assert resumed >= scored >= 20
    out = pd.read_parquet(tmp_path / TARGET)
    assert len(out) == 260 and out.id.is_unique
