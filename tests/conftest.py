"""Shared fixtures: the repository root, the small real models the tests run on and their
tokenizers.

The models are built by the workflow's own resource rules, in a test working directory
(`tests/.work`, kept between runs as a cache), so the tests use exactly what users get; `unit`
tests read only the models' tokenizer files, checked in under `tests/data/tokenizers`.
"""

from __future__ import annotations

import http.server
import subprocess
import sys
import threading
from functools import partial
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "tests" / ".work"
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
TEACHER = "smollm2-135m"
STUDENT = "minilm-l6"
TOKENIZERS = ROOT / "tests" / "data" / "tokenizers"


def snakemake(*args: str, cwd: Path = ROOT, check: bool = True) -> subprocess.CompletedProcess:
    if UNIT_RUNNING:
        raise pytest.UsageError("a `unit` test runs Snakemake: mark it `dag` or `e2e`")
    cmd = [*SNAKEMAKE, "-s", str(ROOT / "Snakefile"), *args]
    res = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if check and res.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}")
    return res


@pytest.fixture(scope="session")
def models() -> dict[str, Path]:
    """The small teacher and the student, built once by the workflow's resource rules and then
    reused (delete `tests/.work/resources` to build them again)."""
    teacher = f"resources/teachers/{TEACHER}"
    student = f"resources/students/{STUDENT}"
    if not all((WORK / folder / "config.json").is_file() for folder in (teacher, student)):
        WORK.mkdir(parents=True, exist_ok=True)
        config = str(ROOT / "config.yaml")
        snakemake(teacher, student, "--cores", "2", "-d", str(WORK), "--configfile", config)
    return {"teacher": WORK / teacher, "student": WORK / student}


@pytest.fixture(scope="session")
def tokenizers() -> dict[str, Path]:
    """The small teacher's and the student's tokenizer files alone (`tests/data/tokenizers`,
    copies of what the resource rules build, held to them by `test_teacher.py`): unit tests
    tokenize without building a model."""
    return {"teacher": TOKENIZERS / TEACHER, "student": TOKENIZERS / STUDENT}


@pytest.fixture
def server(tmp_path):
    """A real HTTP server on localhost serving `tmp_path/www`; counts the requests it answers."""
    www = tmp_path / "www"
    www.mkdir()
    hits = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            hits.append(self.path)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=www))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", www, hits
    httpd.shutdown()
    httpd.server_close()


def hub_cache(root, repo, revision, files):
    """The Hub client's cache layout for `repo` at `revision`, as a download leaves it."""
    snap = root / "hf" / f"datasets--{repo.replace('/', '--')}" / "snapshots" / revision
    for name, data in files.items():
        (snap / name).parent.mkdir(parents=True, exist_ok=True)
        (snap / name).write_bytes(data)
    return root


# What a test needs, declared by each test module (`pytestmark`) or test, as the markers in
# pyproject.toml describe them: `unit` (functions and the small models' tokenizers; no model
# built, no Snakemake), `dag` (dry runs of the workflow), `e2e` (the small models built and run,
# workflow jobs run), `vllm`, `slurm`, `index` (envs/*.yaml
# resolved against PyPI: network; collected only when -m names it).
KINDS = {"unit", "dag", "e2e", "vllm", "slurm", "index"}


def pytest_collection_modifyitems(config, items):
    # `index` tests need PyPI: collected only when the -m expression names them (-m index).
    if "index" not in (config.getoption("markexpr") or ""):
        dropped = [i for i in items if i.get_closest_marker("index")]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = [i for i in items if not i.get_closest_marker("index")]
    bad = []
    for item in items:
        kinds = {m.name for m in item.iter_markers()} & KINDS
        if len(kinds) != 1:
            bad.append(f"{item.nodeid}: {', '.join(sorted(kinds)) or 'none'}")
    if bad:
        raise pytest.UsageError(
            f"a test needs exactly one of {', '.join(sorted(KINDS))}:\n  " + "\n  ".join(bad)
        )


UNIT_RUNNING = False


def pytest_runtest_setup(item):
    """A `unit` test builds no model and runs no Snakemake (`pytest -m unit` downloads and
    converts nothing): asking for the `models` fixture (or a fixture using it), or calling
    `snakemake`, stops it."""
    global UNIT_RUNNING
    UNIT_RUNNING = item.get_closest_marker("unit") is not None
    if UNIT_RUNNING and "models" in item.fixturenames:
        raise pytest.UsageError(
            f"{item.nodeid} is `unit` but uses the `models` fixture: use the tokenizers in "
            "tests/data/tokenizers, or mark it `e2e`"
        )


def pytest_runtest_teardown(item):
    global UNIT_RUNNING
    UNIT_RUNNING = False
