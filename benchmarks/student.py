"""Student fine-tuning: speed against the earlier implementation, and recipe trials.

    .venv/bin/python benchmarks/student.py speed [--dataset movies] [--seed 1]
    .venv/bin/python benchmarks/student.py efficiency [--dataset movies] [--seed 1] [--chunks 4]
    .venv/bin/python benchmarks/student.py trials [--set learning_rate=1e-4 ...] [--out t.jsonl]

speed   CPU-seconds of one training job of the default (every size of one seed, gold labels)
        with the shipped implementation against the earlier one (sdpa attention, word
        embeddings trained), same recipe and runs, as a ratio; and the CPU-seconds a training
        job spends starting (interpreter, torch, transformers' Trainer) before its first run.
efficiency  the same job in float32 on one thread: the share of its CPU in matrix products,
        their FLOP/s against this core's float32 matmul limit, the padding of its batches, and
        CPU-seconds with each batch's loss in `--chunks` length chunks against whole batches.
trials  the `training` section of config.yaml (with --set overrides) over every dataset, label
        source, seed and size of the default: test accuracy, macro-F1, largest predicted-class
        share, training loss per epoch and restarts of every student, then a table per
        (dataset, source, size), as in docs/student-recipe.md. About 1,000 CPU-seconds.
Label sets and test sets come from the workflow's own rules (built on first use, in this folder).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow_scripts"))

from perf import matmul_flops  # noqa: E402  (benchmarks/ is the script's folder)

from labelrisk.students.fit import COLLAPSED  # noqa: E402
from labelrisk.students.jobs import job_key  # noqa: E402
from labelrisk.students.train import Hyper, Run, train_runs  # noqa: E402

SNAKEMAKE = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile")]
CONFIG = yaml.safe_load((ROOT / "config.yaml").read_text())
STUDENT = f"resources/students/{CONFIG['grid']['student']}"


def build(*targets: str) -> None:
    """Make workflow outputs (student, test sets, label sets) with the workflow itself."""
    subprocess.run(
        [*SNAKEMAKE, *targets, "--cores", "all"], cwd=ROOT, check=True, capture_output=True
    )


def label_set(dataset: str, source: str, size: int, seed: int) -> str:
    """The label-set table holding run (size, seed), as `training.runs_per_job` keys it."""
    job = job_key(CONFIG["training"]["runs_per_job"]).format(size=size, seed=seed)
    return f"results/label_sets/{dataset}/{source}/{job}.parquet"


def runs_of(dataset: str, source: str, seeds, sizes, work: Path) -> list[Run]:
    runs = []
    for seed in seeds:
        for size in sizes:
            sets = pd.read_parquet(ROOT / label_set(dataset, source, size, seed))
            sets = sets[(sets["size"] == size) & (sets["seed"] == seed)]
            train, val = sets[sets.split == "train"], sets[sets.split == "val"]
            runs.append(Run(train, val, seed, work / f"n{size}_seed{seed}"))
    return runs


def cpu_seconds(fn) -> tuple[float, object]:
    t = time.process_time()
    out = fn()
    return time.process_time() - t, out


def hyper(overrides: list[str]) -> Hyper:
    training = dict(CONFIG["training"])
    for item in overrides:
        key, value = item.split("=", 1)
        training[key] = yaml.safe_load(value)
    return Hyper.from_config(training)


def speed(dataset: str, seed: int) -> None:
    sizes = CONFIG["grid"]["sizes"]
    sets = [label_set(dataset, "gold", n, seed) for n in sizes]
    build(STUDENT, f"results/data/{dataset}/test.parquet", *sets)
    test = pd.read_parquet(ROOT / f"results/data/{dataset}/test.parquet")
    k = len(CONFIG["datasets"][dataset]["labels"])
    shipped = hyper([])
    earlier = dataclasses.replace(shipped, attention="sdpa", freeze_embeddings=False)
    rows = {}
    # Alternating, so that a change in the machine's load hits both alike.
    for name, hp in [("earlier", earlier), ("shipped", shipped)] * 2:
        runs = runs_of(dataset, "gold", [seed], sizes, Path("/tmp/labelrisk-bench"))
        s, preds = cpu_seconds(
            lambda hp=hp, runs=runs: list(
                train_runs(str(ROOT / STUDENT), k, runs, test, hp, threads=1, progress=False)
            )
        )
        acc = [float((p.pred.to_numpy() == test.label.to_numpy()).mean()) for p in preds]
        rows.setdefault(name, []).append(s)
        print(f"{name:8} {s:6.1f} CPU-s  accuracy {acc}", flush=True)
    ratio = min(rows["earlier"]) / min(rows["shipped"])
    print(f"training job (sizes {sizes}, seed {seed}): {ratio:.2f}x fewer CPU-seconds")
    start = [
        sys.executable,
        "-c",
        "import time, sys; sys.path.insert(0, 'workflow_scripts'); "
        "import labelrisk.students.train; print(time.process_time())",
    ]
    starts = [float(subprocess.check_output(start, cwd=ROOT, text=True)) for _ in range(3)]
    print(f"job start-up (imports): {min(starts):.1f} CPU-s")


MATMULS = ("aten::mm", "aten::addmm", "aten::bmm")
# A large square product and the student's own (16 texts of 50 tokens, hidden 384, FFN 1,536).
STUDENT_SHAPES = ((2048, 2048, 2048), (800, 384, 1536), (800, 1536, 384))


def padding(runs: list[Run], tok, batch: int, draws: int = 200) -> float:
    """Padded tokens over real tokens of shuffled batches of `batch` training texts."""
    rng, padded, real = np.random.default_rng(0), 0, 0
    for run in runs:
        lengths = np.array([len(x) for x in tok(run.train.text.tolist())["input_ids"]])
        for _ in range(draws):
            order = rng.permutation(len(lengths))
            padded += sum(
                lengths[b].max() * len(b) for b in np.array_split(order, len(order) // batch)
            )
            real += lengths.sum()
    return padded / real


def efficiency(dataset: str, seed: int, chunks: int) -> None:
    from torch.profiler import ProfilerActivity, profile
    from transformers import AutoTokenizer

    torch.set_num_threads(1)
    sizes = CONFIG["grid"]["sizes"]
    sets = [label_set(dataset, "gold", n, seed) for n in sizes]
    build(STUDENT, f"results/data/{dataset}/test.parquet", *sets)
    test = pd.read_parquet(ROOT / f"results/data/{dataset}/test.parquet")
    k = len(CONFIG["datasets"][dataset]["labels"])
    hp = dataclasses.replace(hyper([]), mixed_precision=False)
    work = Path("/tmp/labelrisk-bench")

    def job(hp: Hyper) -> list[pd.DataFrame]:
        runs = runs_of(dataset, "gold", [seed], sizes, work)
        return list(train_runs(str(ROOT / STUDENT), k, runs, test, hp, threads=1, progress=False))

    with profile(activities=[ProfilerActivity.CPU], with_flops=True) as prof:
        job(hp)
    ops = prof.key_averages()
    total = sum(e.self_cpu_time_total for e in ops)
    mm = [e for e in ops if e.key in MATMULS]
    mm_us = sum(e.self_cpu_time_total for e in mm)
    achieved = sum(e.flops for e in mm) / (mm_us / 1e6)
    limit = matmul_flops(torch.float32, STUDENT_SHAPES)
    tok = AutoTokenizer.from_pretrained(ROOT / STUDENT)
    pad = padding(runs_of(dataset, "gold", [seed], sizes, work), tok, hp.train_batch_size)
    print(f"matrix products: {mm_us / total:.0%} of the job's CPU (profiled, float32, one thread)")
    print(
        f"their speed: {achieved / 1e9:.0f} GFLOP/s against this core's float32 matmul limit "
        f"{limit / 1e9:.0f} GFLOP/s: {achieved / limit:.0%}"
    )
    batch = hp.train_batch_size
    print(f"padding: {pad:.2f} padded tokens per real token in shuffled batches of {batch}")
    rows = {}
    for c in [1, chunks] * 2:  # alternating, so that a change in load hits both alike
        s, preds = cpu_seconds(lambda c=c: job(dataclasses.replace(hp, length_chunks=c)))
        acc = [float((p.pred.to_numpy() == test.label.to_numpy()).mean()) for p in preds]
        rows.setdefault(c, []).append(s)
        print(f"length_chunks {c}: {s:6.1f} CPU-s  accuracy {acc}", flush=True)
    ratio = min(rows[chunks]) / min(rows[1])
    print(f"length_chunks {chunks}: {ratio:.2f} of the CPU-seconds of whole batches")


def trials(overrides: list[str], out: Path, seeds, sizes) -> None:
    hp = hyper(overrides)
    sources = ["gold", *(f"{t}/llm" for t in CONFIG["grid"]["teachers"])]
    strong = CONFIG["mitigations"]["teachers"][0]
    sources += [f"{strong}/entropy{a}" for a in CONFIG["mitigations"]["entropy_alphas"]]
    sources += [f"{strong}/calibrated_{c}" for c in CONFIG["mitigations"]["calibrated"]]
    datasets = CONFIG["grid"]["datasets"]
    build(
        STUDENT,
        *(f"results/data/{d}/test.parquet" for d in datasets),
        *(label_set(d, s, n, e) for d in datasets for s in sources for n in sizes for e in seeds),
    )
    records = []
    for dataset in datasets:
        test = pd.read_parquet(ROOT / f"results/data/{dataset}/test.parquet")
        k = len(CONFIG["datasets"][dataset]["labels"])
        for source in sources:
            runs = runs_of(dataset, source, seeds, sizes, Path("/tmp/labelrisk-trials"))
            fits = []
            preds = train_runs(str(ROOT / STUDENT), k, runs, test, hp, threads=1, fits=fits)
            for run, pred in zip(runs, preds, strict=True):
                from sklearn.metrics import f1_score

                y, p = test.label.to_numpy(), pred.pred.to_numpy()
                fit = fits[-1]
                rec = dict(
                    dataset=dataset,
                    source=source,
                    size=len(run.train),
                    seed=run.seed,
                    label_acc=float((run.train.label == run.train.gold).mean()),
                    acc=float((y == p).mean()),
                    macro_f1=float(f1_score(y, p, average="macro", labels=list(range(k)))),
                    share=fit.test_share,
                    losses=fit.losses,
                    restarts=len(fit.seeds_tried) - 1,
                    left_start=fit.left_start,
                )
                records.append(rec)
                with open(out, "a") as f:
                    f.write(json.dumps(rec) + "\n")
    table(pd.DataFrame(records))


def table(d: pd.DataFrame) -> None:
    def pm(s):
        return f"{100 * s.mean():.1f} ± {100 * s.std():.1f}"

    g = d.groupby(["dataset", "source", "size"], sort=False)
    t = pd.DataFrame(
        {
            "labels correct": g.label_acc.mean().map("{:.0%}".format),
            "accuracy": g.acc.agg(pm),
            "macro-F1": g.macro_f1.agg(pm),
            "worst share": g.share.max().map("{:.2f}".format),
            f">= {COLLAPSED}": g.share.agg(lambda s: int((s >= COLLAPSED).sum())),
            "restarted": g.restarts.agg(lambda s: int((s > 0).sum())),
            "loss, last epoch": g.losses.agg(lambda s: f"{np.mean([x[-1] for x in s]):.2f}"),
        }
    )
    print(t.to_markdown())


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("part", choices=["speed", "efficiency", "trials"])
    ap.add_argument("--dataset", default="movies")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--seeds", type=int, nargs="+", default=CONFIG["grid"]["seeds"])
    ap.add_argument("--set", nargs="*", default=[], help="training key=value overrides")
    ap.add_argument("--chunks", type=int, default=4, help="length_chunks to compare")
    ap.add_argument("--out", type=Path, default=Path("student-trials.jsonl"))
    args = ap.parse_args()
    if args.part == "speed":
        speed(args.dataset, args.seed)
    elif args.part == "efficiency":
        efficiency(args.dataset, args.seed, args.chunks)
    else:
        trials(args.set, args.out, args.seeds, CONFIG["grid"]["sizes"])


if __name__ == "__main__":
    main()
