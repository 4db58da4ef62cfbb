"""How fine-tuning runs are grouped into jobs (`training.runs_per_job`), and what a job is told.

A job covers one run (`run`), every size of one seed (`seed`) or every run of one label source
(`source`). Its label sets and its predictions are one table each, named by the job (`n100_seed1`,
`seed1`, `all`), with a row's run in its `size` and `seed` columns; a label-set job and its
training job cover the same runs, so adding a seed (or, with `run`, a size) plans only new jobs.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

KEYS = {"run": "n{size}_seed{seed}", "seed": "seed{seed}", "source": "all"}
# Training settings that never change a prediction: where and whether models are kept, how runs
# are grouped. Left out of a training job's params, so changing them re-runs nothing.
PREDICTION_FREE = ("keep_models", "best_weights", "save_total_limit", "runs_per_job")


def job_key(by: str) -> str:
    """The name of one job's files: a pattern over the wildcards the job keeps."""
    return KEYS[by]


def runs_of(
    by: str, sizes: Sequence[int], seeds: Sequence[int], size=None, seed=None
) -> list[tuple[int, int]]:
    """(size, seed) of each run of one job, given the job's own size/seed wildcards."""
    sizes = [int(size)] if by == "run" else list(sizes)
    seeds = list(seeds) if by == "source" else [int(seed)]
    return [(n, s) for s in seeds for n in sizes]


def jobs_of(by: str, sizes: Sequence[int], seeds: Sequence[int]) -> list[dict[str, int]]:
    """The size/seed wildcards of every job of one (dataset, source), in run order."""
    if by == "run":
        return [{"size": n, "seed": s} for s in seeds for n in sizes]
    if by == "seed":
        return [{"seed": s} for s in seeds]
    return [{}]


def prediction_settings(training: dict) -> dict:
    """The `training` settings a student's predictions depend on."""
    return {k: v for k, v in training.items() if k not in PREDICTION_FREE}


def with_run(table: pd.DataFrame, size: int, seed: int) -> pd.DataFrame:
    """`table` with its run in two leading columns, as a job's table holds it."""
    return table.assign(size=size, seed=seed)[["size", "seed", *table.columns]]


def split_runs(
    tables: Sequence[pd.DataFrame], runs: Sequence[tuple[int, int]]
) -> list[pd.DataFrame]:
    """The rows of each run, in the order of `runs`, from job tables (without size and seed)."""
    by_run = {
        (int(n), int(s)): part.drop(columns=["size", "seed"]).reset_index(drop=True)
        for table in tables
        for (n, s), part in table.groupby(["size", "seed"], sort=False)
    }
    missing = [r for r in runs if tuple(r) not in by_run]
    if missing:
        raise ValueError(f"no rows for runs (size, seed) {missing}")
    return [by_run[(int(n), int(s))] for n, s in runs]
