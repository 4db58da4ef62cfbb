"""Student fine-tuning: speed against the earlier implementation, and recipe trials.

    .venv/bin/python benchmarks/student.py speed [--dataset movies] [--seed 1]
    .venv/bin/python benchmarks/student.py trials [--set learning_rate=1e-4 ...] [--out t.jsonl]

speed   CPU-seconds of one training job of the default (every size of one seed, gold labels)
        with the shipped implementation against the earlier one (sdpa attention, word
        embeddings trained), same recipe and runs, as a ratio; and the CPU-seconds a training
        job spends starting (interpreter, torch, transformers' Trainer) before its first run.
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
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow_scripts"))

from labelrisk.students.fit import COLLAPSED  # noqa: E402
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
    return f"results/label_sets/{dataset}/{source}/n{size}_seed{seed}.parquet"


def runs_of(dataset: str, source: str, seeds, sizes, work: Path) -> list[Run]:
    runs = []
    for seed in seeds:
        for size in sizes:
            sets = pd.read_parquet(ROOT / label_set(dataset, source, size, seed))
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
    ap.add_argument("part", choices=["speed", "trials"])
    ap.add_argument("--dataset", default="movies")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--seeds", type=int, nargs="+", default=CONFIG["grid"]["seeds"])
    ap.add_argument("--set", nargs="*", default=[], help="training key=value overrides")
    ap.add_argument("--out", type=Path, default=Path("student-trials.jsonl"))
    args = ap.parse_args()
    if args.part == "speed":
        speed(args.dataset, args.seed)
    else:
        trials(args.set, args.out, args.seeds, CONFIG["grid"]["sizes"])


if __name__ == "__main__":
    main()
