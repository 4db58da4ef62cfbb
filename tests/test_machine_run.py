"""The first lines of a local run: this machine, and the memory its jobs are held to."""

import pytest

from conftest import ROOT, snakemake

pytestmark = pytest.mark.dag


def test_a_local_run_is_held_to_the_memory_available_unless_told_otherwise(tmp_path):
    args = ["results/config.yaml", "--cores", "1", "-d", str(tmp_path)]
    args += ["--configfile", str(ROOT / "config.yaml")]
    held = snakemake(*args).stderr
    assert "Expected for the whole grid on 1 core(s)" in held
    assert "jobs run together only within" in held
    told = snakemake(*args, "--forcerun", "dump_config", "--resources", "mem_mb=5000").stderr
    assert "only within" not in told and "runs one large job at a time" in told
