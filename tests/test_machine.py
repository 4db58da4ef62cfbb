"""What a run will take on this machine, said before it starts (labelrisk.machine)."""

import pytest
import yaml
from snakemake.utils import validate as fill_defaults

from conftest import ROOT
from labelrisk import machine

pytestmark = pytest.mark.unit

BF16 = "model name\t: Some Xeon\nflags\t\t: fpu avx2 avx512f avx512_bf16\n"
AVX2 = "model name\t: Some Core i5\nflags\t\t: fpu avx2 fma\n"


@pytest.fixture
def default():
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    fill_defaults(config, str(ROOT / "schemas/config.schema.yaml"))
    return config


def test_precision_follows_the_cpu_and_the_config(default):
    assert machine.precisions(default, bf16=True) == {
        "qwen2.5-coder-1.5b": "bfloat16",
        "qwen2.5-coder-0.5b": "bfloat16",
        "students": "bfloat16",
    }
    assert set(machine.precisions(default, bf16=False).values()) == {"float32"}
    default["training"]["mixed_precision"] = False
    default["teachers"]["qwen2.5-coder-0.5b"]["dtype"] = "float32"
    got = machine.precisions(default, bf16=True)
    assert got["students"] == got["qwen2.5-coder-0.5b"] == "float32"


def test_default_cpu_seconds_by_hand(default):
    secs = machine.cpu_seconds(default, bf16=True)
    # 2 datasets x (300 pool + 50 validation) prompts, one member, at 0.118 s per 1B parameters
    assert secs["annotation"] == pytest.approx(700 * (1.54 + 0.49) * 0.118)
    # 5 sources x 5 seeds x (100 items x 6 epochs + 300 x 3) per dataset, and 50 jobs of 5 s
    assert secs["training"] == pytest.approx(2 * 25 * 1500 * 0.0202 + 50 * 5.0)
    f32 = machine.cpu_seconds(default, bf16=False)
    assert f32["annotation"] == pytest.approx(700 * (1.54 + 0.49) * 0.76)
    # float32 students with each batch in length chunks: the rate measured with them
    default["training"]["length_chunks"] = 4
    chunked = machine.cpu_seconds(default, bf16=False)
    assert chunked["training"] == pytest.approx(2 * 25 * 1500 * 0.040 + 50 * 5.0)
    assert machine.cpu_seconds(default, bf16=True)["training"] == secs["training"]


def test_statement_names_cpu_precision_time_and_memory(default):
    text = machine.statement(default, cores=2, cpuinfo=AVX2)
    assert "Some Core i5, without bf16 instructions" in text
    assert "qwen2.5-coder-1.5b float32" in text and "students float32" in text
    # a float32 1.5B annotation job (2.91 GB per billion parameters x 1.54) within the
    # declared 4,500 MB, and the conversion's 4,000 MB, as in bf16
    assert "memory: 4.5 GB for the largest job, 8.5 GB" in text
    assert "--resources mem_mb=5000" in text
    assert "4.5 GB for the largest job, 8.5 GB" in machine.statement(default, 2, cpuinfo=BF16)
    total = sum(machine.cpu_seconds(default, bf16=False).values())
    assert f"{total / 2 / 60:.0f} min wall" in text
    assert "Some Xeon, with bf16" in machine.statement(default, cores=2, cpuinfo=BF16)


def test_local_jobs_are_held_to_the_memory_available():
    laptop = "MemTotal:        8000000 kB\nMemAvailable:    5859375 kB\n"  # 6.0 GB free
    assert machine.memory_limit_mb(laptop) == 5400  # 90% of it: one 1.5B job at a time
    assert machine.memory_limit_mb("MemTotal: 1 kB\n") is None


def test_statement_names_the_memory_limit(default):
    text = machine.statement(default, 2, cpuinfo=BF16, mem_limit_mb=5400)
    assert "jobs run together only within 5.4 GB" in text and "mem_mb=5000" not in text


def test_gpu_runs_point_at_the_plan(default):
    default["compute"]["annotate"]["gpu"] = 1
    assert "results/plan.md" in machine.statement(default, cores=8, cpuinfo=BF16)
