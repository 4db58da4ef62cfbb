"""kill -9 in the middle of an annotation job, then a re-run: finished items are kept."""

import json
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


def test_a_killed_chat_job_resumes_from_the_answer_cache(tmp_path):
    """kill -9 a chat teacher's job mid-way: the re-run sends only the prompts whose answers
    were not yet stored; a second member sends its own prompts and leaves member 0 alone."""
    import sqlite3

    from openai_stub import Stub

    stub = Stub(delay=0.1)
    try:
        # The data (kept in tests/.work), not the answer cache, is shared with other tests.
        (WORK / "resources" / "datasets").mkdir(parents=True, exist_ok=True)
        (tmp_path / "resources").mkdir()
        (tmp_path / "resources" / "datasets").symlink_to(WORK / "resources" / "datasets")
        over = tmp_path / "over.yaml"
        over.write_text(
            "grid: {datasets: [movies], teachers: [chat], sizes: [16]}\n"
            "mitigations: {teachers: []}\n"
            "annotation: {members: 1}\n"
            "splits: {pool_size: 32, val_size: 8, test_size: 8}\n"
            "teachers:\n"
            "  chat: {backend: openai_chat, openai: {base_url: '" + stub.url + "',"
            " model: stub-model, api_key_env: null, concurrency: 1, chunk_size: 8}}\n"
        )
        target = "results/annotations/movies/chat/member0.parquet"
        member1 = target.replace("member0", "member1")
        base = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--cores", "1"]
        base += ["-d", str(tmp_path), "--configfile", str(ROOT / "config.yaml"), str(over)]
        proc = subprocess.Popen(
            [*base, "--", target],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        db = tmp_path / "resources" / "teacher_answers.sqlite"

        def stored() -> int:
            if not db.exists():
                return 0
            try:
                with sqlite3.connect(db, timeout=5) as con:
                    return con.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
            except sqlite3.OperationalError:  # the table is not made yet
                return 0

        deadline = time.time() + 300
        while time.time() < deadline and proc.poll() is None and stored() < 10:
            time.sleep(0.05)
        assert proc.poll() is None, "the job ended before it could be killed"
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        kept, sent = stored(), len(stub.sent())
        assert 10 <= kept < 40 and not (tmp_path / target).exists()

        subprocess.run([*base, "--unlock", "--", target], check=True, capture_output=True)
        res = subprocess.run(
            [*base, "--rerun-incomplete", "--", target], capture_output=True, text=True
        )
        assert res.returncode == 0, res.stderr[-2000:]
        assert len(stub.sent()) - sent == 40 - kept  # only what was not stored
        out = pd.read_parquet(tmp_path / target)
        assert len(out) == 40 and out.id.is_unique
        meta = json.loads((tmp_path / target.replace(".parquet", ".json")).read_text())
        assert meta["server"]["cache_hits"] == kept and meta["server"]["calls"] == 40 - kept

        # A second member: its own 40 prompts; member 0 is not planned again.
        two = tmp_path / "two.yaml"
        two.write_text("annotation: {members: 2}\n")
        more = [*base, str(two)]
        plan = subprocess.run([*more, "-n", "--", target], capture_output=True, text=True)
        assert "Nothing to be done" in plan.stdout + plan.stderr, plan.stdout[-2000:]
        sent = len(stub.sent())
        subprocess.run([*more, "--", member1], check=True, capture_output=True)
        assert len(stub.sent()) - sent == 40
    finally:
        stub.close()
