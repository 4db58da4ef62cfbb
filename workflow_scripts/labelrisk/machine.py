"""This machine's CPU, the precision the jobs choose on it, and what a CPU run will take.

Stated before anything runs (the first lines of a run, `results/plan.md`): the CPU-seconds are
per-unit rates measured on the default's jobs (docs/performance.md) scaled to the config's
grid; the memory is what the largest jobs declare (`compute.*.mem_mb`, set from measurements).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from labelrisk import grid as lr_grid
from labelrisk.devices import native_bf16

# CPU-seconds per unit, one thread per job (docs/performance.md, "Run time" and "float32"):
# reading one prompt per billion teacher parameters, one training example per epoch (with the
# validation and test passes of the run), and each training job's imports and set-up.
RATES = {
    "bfloat16": {"prompt_per_bparam": 0.118, "example_epoch": 0.0202, "train_job": 5.0},
    "float32": {"prompt_per_bparam": 0.76, "example_epoch": 0.056, "train_job": 5.0},
}
# float32 training with `training.length_chunks: 4` (measured end to end; bf16: not measured,
# the whole-batch rate stands).
CHUNKED_EXAMPLE_EPOCH = {"float32": 0.040}
OTHER_CPU_S = 260  # conversions, data, label sets, evaluation, tables (measured, default)


def cpu_model(cpuinfo: str | None = None) -> str:
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            return "unknown CPU"
    m = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
    return m.group(1).strip() if m else "unknown CPU"


def precisions(config: dict, bf16: bool) -> dict[str, str]:
    """The dtype of each teacher of the grid and of the students on a CPU with (or without)
    native bf16, as the jobs resolve it (`dtype: auto`, `training.mixed_precision`)."""
    out = {}
    for t in config["grid"]["teachers"]:
        dtype = config["teachers"][t].get("dtype", "auto")
        out[t] = ("bfloat16" if bf16 else "float32") if dtype == "auto" else dtype
    mixed = config["training"].get("mixed_precision", True) and bf16
    out["students"] = "bfloat16" if mixed else "float32"
    return out


def _rate(dtype: str) -> dict:
    return RATES["bfloat16" if dtype == "bfloat16" else "float32"]


def cpu_seconds(config: dict, bf16: bool) -> dict[str, float]:
    """Estimated CPU-seconds of the annotation and training stages of a CPU run of `config`."""
    prec = precisions(config, bf16)
    datasets = config["grid"]["datasets"]
    val = config["splits"]["val_size"]
    annotation = 0.0
    for t in config["grid"]["teachers"]:
        params = config["teachers"][t].get("parameters") or 0.0
        members = len(lr_grid.members_of(config, t))
        prompts = sum(members * (lr_grid.pool_size(config, d) + val) for d in datasets)
        annotation += prompts * params * _rate(prec[t])["prompt_per_bparam"]
    train, rate = config["training"], _rate(prec["students"])
    per_example = rate["example_epoch"]
    if train.get("length_chunks", 1) > 1:
        per_example = CHUNKED_EXAMPLE_EPOCH.get(prec["students"], per_example)
    runs_per = len(lr_grid.sources(config)) * len(config["grid"]["seeds"])
    example_epochs, jobs = 0, 0
    for d in datasets:
        sizes = lr_grid.sizes_for(config, d)
        example_epochs += runs_per * sum(n * _epochs(train, n) for n in sizes)
        jobs += {"run": runs_per * len(sizes), "seed": runs_per}.get(
            train["runs_per_job"], len(lr_grid.sources(config))
        )
    training = example_epochs * per_example + jobs * rate["train_job"]
    return {"annotation": annotation, "training": training, "other": OTHER_CPU_S}


def _epochs(train: dict, n: int) -> int:
    steps = math.ceil(n / train.get("train_batch_size", 16))
    return max(train.get("epochs", 3), math.ceil(train.get("min_steps", 0) / steps))


# Peak GB of an annotation job per billion teacher parameters (1.5B: 4.4 GB in bf16, 4.5 GB in
# float32 on the folder's bf16 weights).
ANNOTATE_GB_PER_BPARAM = {"bfloat16": 2.86, "float32": 2.91}


def peak_gb(config: dict, prec: dict[str, str] | None = None) -> tuple[float, float]:
    """Memory of the largest job, and of the two largest side by side: what they declare
    (`compute`), or what a teacher in `prec`'s dtype was measured to take where that is more."""
    c = config["compute"]
    annotate = c["annotate"]["mem_mb"] / 1000
    for t in config["grid"]["teachers"]:
        dtype = (prec or {}).get(t, "bfloat16")
        rate = ANNOTATE_GB_PER_BPARAM["bfloat16" if dtype == "bfloat16" else "float32"]
        annotate = max(annotate, rate * (config["teachers"][t].get("parameters") or 0.0))
    big = sorted([c["fetch_teacher"]["mem_mb"] / 1000, annotate, c["train"]["mem_mb"] / 1000])
    return big[-1], big[-1] + big[-2]


# The share of the memory available at start that a local run's jobs may declare together.
MEMORY_SHARE = 0.9


def memory_limit_mb(meminfo: str | None = None, share: float = MEMORY_SHARE) -> int | None:
    """MB the local jobs may declare together (`mem_mb`): `share` of the memory available at
    start (/proc/meminfo MemAvailable, in KiB), so two large jobs run side by side only where
    they fit; None where the machine does not say."""
    if meminfo is None:
        path = Path("/proc/meminfo")
        meminfo = path.read_text() if path.exists() else ""
    m = re.search(r"^MemAvailable:\s+(\d+) kB", meminfo, flags=re.M)
    return int(int(m.group(1)) * 1024 * share / 1e6) if m else None


def statement(
    config: dict, cores: int, cpuinfo: str | None = None, mem_limit_mb: int | None = None
) -> str:
    """One paragraph: the CPU found, the precision chosen, the expected wall time and memory."""
    bf16 = native_bf16(cpuinfo)
    prec = precisions(config, bf16)
    if config["compute"]["annotate"]["gpu"] or config["compute"]["train"]["gpu"]:
        return (
            f"CPU: {cpu_model(cpuinfo)}; the teacher and student jobs ask for GPUs: their hours "
            "and the memory they ask for are in results/plan.md (`snakemake plan`)."
        )
    secs = cpu_seconds(config, bf16)
    total = sum(secs.values())
    one, two = peak_gb(config, prec)
    chosen = ", ".join(f"{k} {v}" for k, v in prec.items())
    return (
        f"CPU: {cpu_model(cpuinfo)}, {'with' if bf16 else 'without'} bf16 instructions "
        f"({'AVX512-BF16/AMX' if bf16 else 'float32 kernels'}); precision: {chosen}. "
        f"Expected for the whole grid on {cores} core(s), no GPU: about {total:,.0f} CPU-seconds "
        f"(annotation {secs['annotation']:,.0f}, training {secs['training']:,.0f}), "
        f"{total / max(1, cores) / 60:.0f} min wall; memory: {one:.1f} GB for the largest job, "
        f"{two:.1f} GB with two at once"
        + (
            f"; jobs run together only within {mem_limit_mb / 1000:.1f} GB "
            f"({MEMORY_SHARE:.0%} of the memory available at start; `--resources mem_mb=N` "
            "sets another limit)."
            if mem_limit_mb
            else " (`--resources mem_mb=5000` runs one large job at a time)."
        )
    )
