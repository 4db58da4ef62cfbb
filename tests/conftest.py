"""Shared fixtures: the repository root and the small real models the tests run on.

The models are built by the workflow's own resource rules, in a test working directory
(`tests/.work`, kept between runs as a cache), so the tests use exactly what users get.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "tests" / ".work"
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
TEACHER = "smollm2-135m"
STUDENT = "minilm-l6"


def snakemake(*args: str, cwd: Path = ROOT, check: bool = True) -> subprocess.CompletedProcess:
    cmd = [*SNAKEMAKE, "-s", str(ROOT / "Snakefile"), *args]
    res = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if check and res.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}")
    return res


@pytest.fixture(scope="session")
def models() -> dict[str, Path]:
    """The small teacher and the student, built (once) by the workflow's resource rules."""
    teacher = f"resources/teachers/{TEACHER}"
    student = f"resources/students/{STUDENT}"
    WORK.mkdir(parents=True, exist_ok=True)
    snakemake(
        teacher, student, "--cores", "2", "-d", str(WORK), "--configfile", str(ROOT / "config.yaml")
    )
    return {"teacher": WORK / teacher, "student": WORK / student}
