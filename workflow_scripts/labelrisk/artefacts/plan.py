"""What a config will cost before it runs: prompts and prompt tokens per teacher, fine-tuning runs
and training tokens, and the hours and API cost they come to at configured rates.

Tokens are counted from the real prompts (the dataset's prompt with each member's
demonstrations) at `plan.chars_per_token`: no tokenizer is loaded, so the plan is cheap and
works before any model is fetched. Hours follow docs/paper-scale.md: 2 x parameters x tokens
FLOPs to read a prompt, 6 x parameters x tokens to train on one, at the rate of the device the
job asks for (`compute.<step>.gpu`).
"""

from __future__ import annotations

import math
import os
from typing import NamedTuple

import numpy as np
import pandas as pd

from labelrisk import grid as lr_grid
from labelrisk import machine
from labelrisk.annotation.demonstrations import draw_demonstrations
from labelrisk.artefacts.claims import power
from labelrisk.teachers import backends
from labelrisk.teachers.prompt import Prompt


def tokens(texts: pd.Series, chars_per_token: float, cap: int | None = None) -> pd.Series:
    """Estimated tokens of each text (at least one), capped at `cap` where given."""
    out = (texts.str.len() / chars_per_token).apply(math.ceil).clip(lower=1)
    return out.clip(upper=cap) if cap else out


class PromptTokens(NamedTuple):
    """A member's prompt tokens over its items: `sent` (what a server reads and bills) and
    `computed` (a local teacher, which encodes the shared prefix once per member and reuses
    its KV cache: the transformers backend, and vLLM's prefix caching)."""

    sent: int
    computed: int

    @classmethod
    def total(cls, counts: list[PromptTokens]) -> PromptTokens:
        return cls(sum(c.sent for c in counts), sum(c.computed for c in counts))


def prompt_tokens(
    entry: dict,
    annotation: dict,
    items: pd.DataFrame,
    member: int,
    cpt: float,
    demos_from: pd.DataFrame | None = None,
) -> PromptTokens:
    """Estimated prompt tokens of one member over `items` (pool + validation): the prompt around
    each text, with the member's demonstrations (drawn from `demos_from`, else `items`), and the
    text cut at max_text_tokens. The prefix is the prompt before the text (task, labels,
    demonstrations), the same for every item of the member."""
    prompt = Prompt.of_dataset(entry)
    demos = items if demos_from is None else demos_from
    demos = draw_demonstrations(demos, annotation["shots"], annotation["seed"], member)
    pairs = list(zip(demos.text, demos.label, strict=True))
    prefix, suffix = prompt.user(pairs, "\x00").split("\x00")
    text = int(tokens(items.text, cpt, annotation["max_text_tokens"]).sum())
    n = len(items)
    if n == 0:
        return PromptTokens(0, 0)
    sent = n * math.ceil((len(prefix) + len(suffix)) / cpt) + text
    computed = math.ceil(len(prefix) / cpt) + n * math.ceil(len(suffix) / cpt) + text
    return PromptTokens(sent, computed)


def teacher_rows(
    config: dict, items: dict[str, pd.DataFrame], served: dict[str, float] | None = None
) -> pd.DataFrame:
    """Per (teacher, dataset): members, prompts, prompt tokens, device hours and API cost.
    `served`: answers per second a server teacher was measured at (`served_rate`)."""
    plan, ann = config["plan"], config["annotation"]
    cpt = plan["chars_per_token"]
    gpu = config["compute"]["annotate"]["gpu"] > 0
    rows = []
    for teacher in config["grid"]["teachers"]:
        entry = config["teachers"][teacher]
        members = lr_grid.members_of(config, teacher)
        for name, df in items.items():
            n_prompts = len(members) * len(df)
            toks = PromptTokens.total(
                [prompt_tokens(config["datasets"][name], ann, df, m, cpt) for m in members]
            )
            if "content_free" in config["mitigations"]["calibrated"]:
                n_prompts += len(config["calibration"]["content_free_inputs"])
            row = {"teacher": teacher, "dataset": name, "members": len(members)}
            row |= {"prompts": n_prompts, "prompt_tokens": toks.sent}
            row |= teacher_cost(entry, n_prompts, toks.sent, plan, gpu, toks.computed)
            if row["device"] == "server":
                row |= _server_hours(entry, n_prompts, (served or {}).get(teacher))
            rows.append(row)
    return pd.DataFrame(rows)


def teacher_cost(
    entry: dict, n_prompts: int, toks: int, plan: dict, gpu: bool, computed: int | None = None
) -> dict:
    """A server teacher costs money and waits on its rate limit; a local one costs hours, for
    the tokens it computes (`computed`: the shared prefix once per member; else `toks`)."""
    if backends.of(entry).server:
        opts = entry.get("openai") or {}
        price = backends.price(entry) or {}
        calls, answer = answer_calls(opts)
        cost = calls * (
            toks * price.get("prompt", 0) + n_prompts * answer * price.get("completion", 0)
        )
        rpm = opts.get("requests_per_minute")
        hours = calls * n_prompts / rpm / 60 if rpm else float("nan")
        out = {
            "device": "server",
            "hours": hours,
            "api_cost": cost / 1e6 if price else float("nan"),
        }
        return out | ({"calls_per_prompt": calls} if calls > 1 else {})
    params = entry.get("parameters")
    rate = plan["gpu_flops" if gpu else "cpu_flops"]["annotation"]
    toks = toks if computed is None else computed
    hours = 2 * params * 1e9 * toks / rate / 3600 if params else float("nan")
    return {"device": "gpu" if gpu else "cpu", "hours": hours, "api_cost": 0.0}


def answer_calls(opts: dict) -> tuple[int, int]:
    """Calls per prompt and completion tokens per call: one answer token read from the
    log-probabilities, or, for an answer-only teacher (`logprobs: false`), `samples` written
    answers of up to `max_answer_tokens` each (reasoning tokens included: an upper bound)."""
    if opts.get("logprobs", True):
        return 1, 1
    return opts.get("samples", 5), opts.get("max_answer_tokens", 16)


def _server_hours(entry: dict, n_prompts: int, rate: float | None) -> dict:
    """A server's hours at its measured answers per second where known; its rate limit is an
    upper bound on the request rate, so it gives only a lower bound on the hours."""
    opts = entry.get("openai") or {}
    calls = answer_calls(opts)[0] * n_prompts  # each call is one answer in the cache
    rpm = opts.get("requests_per_minute")
    at_least = calls / rpm / 60 if rpm else float("nan")
    hours = calls / rate / 3600 if rate else float("nan")
    basis = f"measured {rate:.3g} answers/s" if rate else "not measured yet"
    return {"hours": hours, "hours_basis": basis, "hours_at_least": at_least}


def served_rate(cache: str, base_url: str, gap_s: float = 30.0) -> float | None:
    """Answers per second a server gave, from the answer cache's arrival times of its
    endpoint (`resources/teacher_answers.sqlite`): answers over the seconds of each burst
    (answers less than `gap_s` apart), None where fewer than 10 answers were timed."""
    import sqlite3

    with sqlite3.connect(f"file:{cache}?mode=ro", uri=True) as db:
        rows = db.execute(
            "SELECT created FROM answers WHERE endpoint LIKE ? ORDER BY created",
            (base_url.rstrip("/") + "/%",),
        ).fetchall()
    times = pd.Series([r[0] for r in rows], dtype=float)
    steps = times.diff().dropna()
    steps = steps[steps < gap_s]
    if len(steps) < 10 or steps.sum() <= 0:
        return None
    return float(len(steps) / steps.sum())


def prompt_examples(config: dict, items: dict[str, pd.DataFrame]) -> list[tuple[str, str]]:
    """(heading, text) of the first rendered user message of each teacher and member on
    the first dataset: the first pool item with that member's demonstrations (texts uncut:
    the annotation job cuts each at `annotation.max_text_tokens` teacher tokens)."""
    ann = config["annotation"]
    name, df = next(iter(items.items()))
    prompt = Prompt.of_dataset(config["datasets"][name])
    out = []
    for teacher in config["grid"]["teachers"]:
        for m in lr_grid.members_of(config, teacher):
            demos = draw_demonstrations(df, ann["shots"], ann["seed"], m)
            text = prompt.user(list(zip(demos.text, demos.label, strict=True)), df.text.iloc[0])
            out.append((f"{teacher}, member {m}, {name}", text))
    return out


def epochs_for(training: dict, n_train: int) -> int:
    """The epochs a run of `n_train` items trains: `epochs`, or more where fewer than
    `min_steps` updates would be made (as labelrisk.students.train does)."""
    steps = math.ceil(n_train / training["train_batch_size"])
    return max(training["epochs"], math.ceil(training.get("min_steps", 0) / steps))


def padding_factor(
    lengths: np.ndarray, batch: int, order: str = "random", draws: int = 20
) -> float:
    """Tokens computed over the texts' own tokens when each batch is padded to its longest text:
    batches drawn at random (`random`), from length-sorted groups of 50 batches as transformers'
    length-grouped sampler draws them (`grouped`), or of texts sorted by length (`sorted`, the
    evaluation sets)."""
    lengths = np.asarray(lengths, dtype=float)
    if len(lengths) == 0:
        return 1.0
    rng = np.random.default_rng(0)
    padded = []
    for _ in range(1 if order == "sorted" else draws):
        xs = np.sort(lengths) if order == "sorted" else rng.permutation(lengths)
        if order == "grouped":
            group = 50 * batch
            xs = np.concatenate([np.sort(xs[i : i + group]) for i in range(0, len(xs), group)])
        padded.append(sum(len(b) * b.max() for b in np.split(xs, range(batch, len(xs), batch))))
    return float(np.mean(padded) / lengths.sum())


def training_rows(config: dict, items: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per dataset: fine-tuning runs and jobs, training tokens (every epoch of every run's
    training set), the padding each batch adds to them (`padding_factor`) and device hours:
    FLOPs with validation and test passes, and the fixed cost of each run and job."""
    plan, train = config["plan"], config["training"]
    cpt, cap = plan["chars_per_token"], train["max_length"]
    gpu = config["compute"]["train"]["gpu"] > 0
    rate = plan["gpu_flops" if gpu else "cpu_flops"]["training"]
    params = plan["student_parameters"] * 1e9
    n_sources, n_seeds = len(lr_grid.sources(config)), len(config["grid"]["seeds"])
    val, test = config["splits"]["val_size"], config["splits"]["test_size"]
    rows = []
    for name, df in items.items():
        lengths = tokens(df.text, cpt, cap).to_numpy()
        per_item = float(lengths.mean())
        order = "grouped" if train.get("group_by_length") else "random"
        pad = padding_factor(lengths, train["train_batch_size"], order)
        pad_eval = padding_factor(lengths, train["eval_batch_size"], "sorted")
        sizes = lr_grid.sizes_for(config, name)
        runs = n_sources * n_seeds * len(sizes)
        epochs = {n: epochs_for(train, n) for n in sizes}
        train_toks = n_sources * n_seeds * sum(epochs[n] * n for n in sizes) * per_item
        eval_toks = n_sources * n_seeds * sum(epochs[n] * val + test for n in sizes) * per_item
        flops = 6 * params * train_toks * pad + 2 * params * eval_toks * pad_eval
        jobs = {"run": runs, "seed": n_sources * n_seeds, "source": n_sources}[
            train["runs_per_job"]
        ]
        device = "gpu" if gpu else "cpu"
        fixed = runs * plan["run_overhead_s"][device] + jobs * plan["job_overhead_s"][device]
        rows.append(
            {
                "dataset": name,
                "runs": runs,
                "jobs": jobs,
                "training_tokens": round(train_toks),
                "padding": round(pad, 2),
                "device": device,
                "hours": (flops / rate + fixed) / 3600,
            }
        )
    return pd.DataFrame(rows)


def measured_training(training: pd.DataFrame, benchmarks: dict[str, list[float]]) -> pd.DataFrame:
    """`training` with the hours its jobs took where a run measured some: per dataset, the
    mean CPU-seconds of its benchmarked training jobs (`benchmarks`: dataset -> seconds of each
    job of the configured `runs_per_job`) times its jobs; the jobs of one dataset train the
    same sizes, so they cost alike."""
    out = training.copy()
    seconds = out.dataset.map(lambda d: pd.Series(benchmarks.get(d, []), dtype=float).mean())
    out["hours_measured"] = out.jobs * seconds / 3600
    out["jobs_measured"] = out.dataset.map(lambda d: len(benchmarks.get(d, [])))
    return out


def read_benchmarks(folder: str, datasets, job_key: str) -> dict[str, list[float]]:
    """CPU-seconds of each training job Snakemake benchmarked (`benchmarks/train/<dataset>/
    <source>/<job>.tsv`), of the jobs named as `job_key` names them (`seed{seed}`, ...)."""
    import glob
    import os
    import re

    # job keys are words with {wildcards}: seed{seed} -> seed\d+
    name = re.compile("^" + re.sub(r"\{\w+\}", r"\\d+", job_key) + r"\.tsv$")
    out = {}
    for d in datasets:
        paths = glob.glob(os.path.join(folder, d, "**", "*.tsv"), recursive=True)
        tables = [
            pd.read_csv(p, sep="\t") for p in sorted(paths) if name.match(os.path.basename(p))
        ]
        out[d] = [float(t["cpu_time"].iloc[-1]) for t in tables if "cpu_time" in t]
    return out


def markdown(
    teachers: pd.DataFrame,
    training: pd.DataFrame,
    config: dict,
    prompts: list[tuple[str, str]] = (),
) -> str:
    """results/plan.md: the two tables and their totals, with the rates they assume, and the
    first prompt each teacher and member will be sent."""
    plan = config["plan"]
    t_hours = teachers.groupby("device").hours.sum(min_count=1)
    lines = [
        "# Plan: what this config will cost",
        "",
        f"Estimates: tokens at {plan['chars_per_token']} characters each; hours at "
        f"{plan['cpu_flops']['annotation']:.3g} / {plan['cpu_flops']['training']:.3g} FLOP/s "
        f"(CPU thread: annotation / training) and {plan['gpu_flops']['annotation']:.3g} / "
        f"{plan['gpu_flops']['training']:.3g} (GPU); a server teacher at its "
        "requests_per_minute and price (`plan` and `teachers.*.openai` in the config).",
        "",
        "## Teachers",
        "",
        _table(teachers),
        "",
        "## Fine-tuning",
        "",
        _table(training),
        "",
        "## Total",
        "",
        f"- prompts: {teachers.prompts.sum():,}; prompt tokens: {teachers.prompt_tokens.sum():,}",
        f"- API cost: ${teachers.api_cost.sum():,.2f}",
        *(f"- teacher {d}-hours: {h:,.3g}" for d, h in t_hours.items() if d != "server"),
        f"- fine-tuning runs: {training.runs.sum():,}; training tokens: "
        f"{training.training_tokens.sum():,}",
        f"- fine-tuning {training.device.iloc[0]}-hours: {training.hours.sum():,.3g}",
    ]
    if training.get("jobs_measured", pd.Series(dtype=int)).sum():
        lines.append(
            f"- fine-tuning {training.device.iloc[0]}-hours measured: "
            f"{training.hours_measured.sum():,.3g} (mean CPU-seconds of the "
            f"{training.jobs_measured.sum()} training jobs a run benchmarked, times the jobs; "
            "`snakemake plan --forcerun plan` after a run compares them)"
        )
    if "hours_at_least" in teachers:
        lines.append(
            "- server teachers: hours at the rate measured in the answer cache where known; "
            "the rate limit (`requests_per_minute`) bounds the request rate from above, so "
            "`hours_at_least` is a lower bound, not an estimate"
        )
    lines += [
        "",
        "## Power: the smallest cost the claims check can see",
        "",
        *power.plan_lines(
            len(config["grid"]["seeds"]), config["splits"]["test_size"], config["claims"]["level"]
        ),
        "",
        "## This machine",
        "",
        machine.statement(config, os.cpu_count() or 1, mem_limit_mb=machine.memory_limit_mb()),
        "",
    ]
    for heading, text in prompts:
        lines += [f"## First prompt: {heading}", "", "```text", text, "```", ""]
    return "\n".join(lines)


def _table(df: pd.DataFrame) -> str:
    fmt = {
        "hours": "{:,.3g}",
        "padding": "{:.2f}",
        "hours_at_least": "{:,.3g}",
        "hours_measured": "{:,.3g}",
    }
    fmt["api_cost"] = "${:,.2f}"
    cols = list(df.columns)
    rows = [
        [fmt.get(c, "{:,}").format(v) if not isinstance(v, str) else v for c, v in r.items()]
        for r in df.to_dict("records")
    ]
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    return "\n".join(out + ["| " + " | ".join(r) + " |" for r in rows])
