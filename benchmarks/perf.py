"""Side-by-side performance benchmarks: every figure is a ratio measured in the same run.

    .venv/bin/python benchmarks/perf.py [teacher] [student] [workflow]

teacher   items/s of the annotation path (the default's batch settings) vs a naive path (the
          plain forward pass of each whole prompt alone: fp32, no batching, no cache reuse,
          logits at every position) on the same model and items, and efficiency against the
          limit = prompt tokens x 2 x parameters / matmul FLOP/s measured in this run.
student   training examples/s of the student path vs transformers' Trainer with every batch
          padded to max_length in fp32 with the per-tensor AdamW loop, and test macro-F1 of both.
workflow  dry-run time of the default and of config/paper.yaml, and the no-op re-run of a
          finished default.
The models and data come from the workflow's own rules (built on first use, in this folder).
"""

from __future__ import annotations

import argparse
import re
import shutil
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

from labelrisk.annotation.demonstrations import draw_demonstrations  # noqa: E402
from labelrisk.students.jobs import job_key  # noqa: E402
from labelrisk.students.train import Hyper, Run, train_runs  # noqa: E402
from labelrisk.teachers.prompt import Prompt, answer_token_ids, chat_frame  # noqa: E402
from labelrisk.teachers.transformers_backend import TransformersTeacher  # noqa: E402

SNAKEMAKE = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile")]
CONFIG = yaml.safe_load((ROOT / "config.yaml").read_text())
THREADS = torch.get_num_threads()
rows: list[tuple[str, str, str]] = []


def report(what: str, value: str, note: str = "") -> None:
    rows.append((what, value, note))
    print(f"{what:<46} {value:>14}  {note}", flush=True)


def build(*targets: str) -> None:
    """Make workflow outputs (models, splits, label sets) with the workflow itself."""
    subprocess.run(
        [*SNAKEMAKE, *targets, "--cores", "all"], cwd=ROOT, check=True, capture_output=True
    )


def matmul_flops(dtype=torch.bfloat16, shapes=((2048, 2048, 2048), (1024, 896, 4864))) -> float:
    """Best sustained FLOP/s of a dense matmul on this machine, now, at the torch thread count."""
    best = 0.0
    for m, k, n in shapes:
        a, b = torch.randn(m, k, dtype=dtype), torch.randn(k, n, dtype=dtype)
        for _ in range(3):
            a @ b
        reps, t = 10, time.perf_counter()
        for _ in range(reps):
            a @ b
        best = max(best, 2 * m * k * n * reps / (time.perf_counter() - t))
    return best


def bench_teacher(dataset: str, n_fast: int, n_naive: int) -> None:
    teacher = CONFIG["grid"]["teachers"][0]
    model = f"resources/teachers/{teacher}"
    build(model, f"results/data/{dataset}/pool.parquet")
    ds = CONFIG["datasets"][dataset]
    pool = pd.read_parquet(ROOT / f"results/data/{dataset}/pool.parquet")
    items = pool.iloc[:n_fast]
    demos = draw_demonstrations(pool, 3, 0, 0)
    fast = TransformersTeacher(str(ROOT / model), "bfloat16", THREADS)
    labels = ds["labels"]
    prompt = Prompt(ds["task"], tuple(labels))
    frame = chat_frame(fast.tokenizer, prompt, list(zip(demos.text, demos.label, strict=True)))
    cls = answer_token_ids(fast.tokenizer, prompt.answers)
    texts = [" " + t for t in items.text]

    t = time.perf_counter()
    probs = np.zeros((len(texts), len(labels)))
    ann = CONFIG["annotation"]
    for idx, s in fast.score(frame, texts, cls, ann["batch_tokens"], ann["max_batch"]):
        probs[idx] = s.probs
    fast_s = time.perf_counter() - t
    flops = matmul_flops()
    del fast

    naive = TransformersTeacher(str(ROOT / model), "float32", THREADS)
    t = time.perf_counter()
    ref = naive.score_naive([frame.full(x) for x in texts[:n_naive]], cls)
    naive_s = time.perf_counter() - t

    prefix = len(naive.encode(frame.prefix))
    body = sum(len(naive.encode(x + frame.suffix)) for x in texts)
    # Every prompt token passes through the transformer blocks; the output head (a matmul
    # over the vocabulary) is needed at one position per item only.
    head = naive.model.get_output_embeddings().weight.numel()
    blocks = sum(p.numel() for p in naive.model.model.layers.parameters())
    ideal_s = 2 * ((prefix + body) * blocks + len(texts) * head) / flops
    fast_rate, naive_rate = len(texts) / fast_s, n_naive / naive_s
    agree = (probs[:n_naive].argmax(1) == ref.probs.argmax(1)).mean()
    gap = np.abs(probs[:n_naive] - ref.probs).max()
    report(f"teacher {teacher}: annotation path", f"{fast_rate:.2f} items/s", f"{len(texts)} items")
    report("teacher: naive path (fp32, whole prompt, 1 by 1)", f"{naive_rate:.2f} items/s")
    report("teacher: speed-up over naive", f"{fast_rate / naive_rate:.1f}x", "goal >= 10x")
    report("teacher: matmul limit (bf16, measured)", f"{flops / 1e9:.0f} GFLOP/s", f"{THREADS} thr")
    report(
        "teacher: efficiency vs limit",
        f"{ideal_s / fast_s:.0%}",
        f"{prefix}+{body} prompt tokens x 2 x {blocks / 1e6:.0f}M block params; goal >= 50%",
    )
    report("teacher: labels equal to naive", f"{agree:.0%}", f"max |dp| {gap:.3f} (bf16 vs fp32)")


def bench_student(dataset: str, size: int, seeds: list[int]) -> None:
    student = CONFIG["grid"]["student"]
    job = job_key(CONFIG["training"]["runs_per_job"])  # the label-set table holding each run
    sets = [
        f"results/label_sets/{dataset}/gold/{job.format(size=size, seed=s)}.parquet" for s in seeds
    ]
    build(f"resources/students/{student}", f"results/data/{dataset}/test.parquet", *sets)
    test = pd.read_parquet(ROOT / f"results/data/{dataset}/test.parquet")
    n_classes = len(CONFIG["datasets"][dataset]["labels"])
    tr = CONFIG.get("training", {})
    common = dict(learning_rate=tr.get("learning_rate", 2e-5))
    variants = {
        "Trainer, pad to max_length, fp32": Hyper(
            **common, pad_to_max_length=True, mixed_precision=False, optimizer="adamw_torch"
        ),
        "labelrisk student path": Hyper(**common),
    }
    results = {}
    for name, hp in variants.items():
        runs = []
        for s, path in zip(seeds, sets, strict=True):
            df = pd.read_parquet(ROOT / path).query("size == @size")
            runs.append(Run(df[df.split == "train"], df[df.split == "val"], s, Path(f"/tmp/lr{s}")))
        t = time.perf_counter()
        preds = list(
            train_runs(
                str(ROOT / f"resources/students/{student}"),
                n_classes,
                runs,
                test,
                hp,
                threads=1,
                progress=False,
            )
        )
        seconds = time.perf_counter() - t
        examples = sum(len(r.train) for r in runs) * hp.epochs
        from sklearn.metrics import f1_score

        f1 = [f1_score(test.label, p.pred, average="macro") for p in preds]
        results[name] = examples / seconds
        report(
            f"student: {name}",
            f"{examples / seconds:.1f} ex/s",
            f"macro-F1 {np.mean(f1):.3f} +- {np.std(f1, ddof=1):.3f} over seeds {seeds}",
        )
    base, ours = results.values()
    report("student: speed-up", f"{ours / base:.1f}x", "goal >= 2x; F1 within seed noise")


def timed(*args: str, cwd: Path = ROOT) -> tuple[float, str]:
    t = time.perf_counter()
    res = subprocess.run([*SNAKEMAKE, *args], cwd=cwd, capture_output=True, text=True)
    if res.returncode:
        raise RuntimeError(res.stderr[-2000:])
    return time.perf_counter() - t, res.stdout + res.stderr


def bench_workflow(tmp: Path) -> None:
    seconds, out = timed(
        "-n", "-d", str(tmp / "default"), "--configfile", str(ROOT / "config.yaml")
    )
    jobs = dict(re.findall(r"^(\w+)\s+(\d+)$", out, flags=re.M))
    report(
        "workflow: dry run of the default", f"{seconds:.1f} s", f"{jobs['total']} jobs; goal <= 5 s"
    )
    paper = ROOT / "config" / "paper.yaml"
    for per_job in ("seed", "run"):  # as shipped; one job per fine-tuning run
        # The Manifestos table is saved by hand; the plan checks its columns and labels.
        origin = yaml.safe_load(paper.read_text())["datasets"]["manifestos"]["origin"]
        saved = tmp / per_job / origin["path"]
        saved.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "tests/data/paper/cc_muller.csv", saved)  # the stand-in of the tests
        override = ["--config", f"training={{runs_per_job: {per_job}}}"]
        args = ["-n", "-d", str(tmp / per_job), "--configfile", str(paper), *override]
        seconds, out = timed(*args)
        jobs = dict(re.findall(r"^(\w+)\s+(\d+)$", out, flags=re.M))
        train = sum(int(v) for k, v in jobs.items() if k.startswith("train_student"))
        note = f"{jobs['total']} jobs, {train} training; goal <= 5 s"
        report(f"workflow: dry run of the paper config, {per_job} jobs", f"{seconds:.1f} s", note)
    seconds, out = timed("-n")
    if "Nothing to be done" in out:
        seconds, out = timed("--cores", "all")
        report("workflow: no-op re-run of the finished default", f"{seconds:.1f} s", "goal <= 5 s")
    else:
        report("workflow: no-op re-run", "skipped", "run `snakemake --cores all` first")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("parts", nargs="*", default=["teacher", "student", "workflow"])
    ap.add_argument("--dataset", default="movies")
    pool = CONFIG["splits"]["pool_size"]
    ap.add_argument("--items", type=int, default=pool, help="items the annotation path scores")
    ap.add_argument("--naive-items", type=int, default=24, help="items the naive path scores")
    ap.add_argument("--size", type=int, default=max(CONFIG["grid"]["sizes"]))
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    args = ap.parse_args()
    torch.manual_seed(0)
    if "teacher" in args.parts:
        bench_teacher(args.dataset, args.items, args.naive_items)
    if "student" in args.parts:
        bench_student(args.dataset, args.size, args.seeds)
    if "workflow" in args.parts:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            bench_workflow(Path(tmp))
    print("\n| measure | value | note |\n|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
