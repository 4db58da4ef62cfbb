"""Every pin of every envs/*.yaml exists on PyPI as a wheel for linux x86_64 and the env's
Python, so that a pin that does not exist fails here rather than at `--sdm conda` on a cluster.

Reads the package index (network): `pip index versions` per pinned name, no download.
"""

import re
import subprocess
import sys
from functools import cache

import pytest
import yaml

from conftest import ROOT

pytestmark = pytest.mark.dag

PLATFORMS = ["manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"]
PLATFORMS += ["manylinux1_x86_64", "linux_x86_64"]
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)(\[[^\]]*\])?==([^;\s]+)$")

# Environments that take something from outside PyPI, and why a test cannot check it here.
OUTSIDE_INDEX = {
    "annotation-vllm.yaml": "torch's CPU-only build comes from PyTorch's CPU index (its pins "
    "are still checked on PyPI)",
    "annotation-vllm-cuda12.yaml": "vLLM's CUDA 12.9 wheel from its GitHub release and torch "
    "from PyTorch's cu129 index: neither host is a package index this test may read",
    "students-cuda12.yaml": "torch's cu129 build from PyTorch's index (`+cu129` versions)",
}


def envs():
    return sorted(p.name for p in (ROOT / "envs").glob("*.yaml"))


def pip_section(name: str) -> tuple[str, list[str]]:
    spec = yaml.safe_load((ROOT / "envs" / name).read_text())
    deps = spec["dependencies"]
    python = next(
        d.split("=", 1)[1] for d in deps if isinstance(d, str) and d.startswith("python=")
    )
    pip = next((d["pip"] for d in deps if isinstance(d, dict) and "pip" in d), [])
    return python, pip


@cache
def index_versions(package: str, python: str) -> str:
    cmd = [sys.executable, "-m", "pip", "index", "versions", package, "--python-version", python]
    cmd += ["--only-binary", ":all:", "--index-url", "https://pypi.org/simple"]
    cmd += [arg for p in PLATFORMS for arg in ("--platform", p)]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    return res.stdout


def missing_pins(pip: list[str], python: str) -> list[str]:
    """The `name==version` entries of a pip section that PyPI has no wheel of."""
    missing = []
    for entry in pip:
        m = PIN.match(entry.strip())
        if not m or "+" in m.group(3):  # a local version (+cu129) lives on another index
            continue
        versions = re.search(r"Available versions: (.*)", index_versions(m.group(1), python))
        if not versions or m.group(3) not in [v.strip() for v in versions.group(1).split(",")]:
            missing.append(entry)
    return missing


@pytest.mark.parametrize("env", envs())
def test_every_pin_exists_on_the_index(env):
    python, pip = pip_section(env)
    outside = [e for e in pip if e.startswith("-") or "://" in e]
    if outside:
        assert env in OUTSIDE_INDEX, f"envs/{env} reads {outside}: only the package index"
    missing = missing_pins(pip, python)
    assert not missing, f"envs/{env}: no wheel on PyPI for Python {python}, linux x86_64: {missing}"


def test_a_pin_that_does_not_exist_is_caught():
    pins = ["pandas==3.1.1", "pandas==3.1.99", "no-such-package-labelrisk==1.0"]
    assert missing_pins(pins, "3.11") == pins[1:]
