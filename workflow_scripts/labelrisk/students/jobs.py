"""How fine-tuning runs are grouped into training jobs (`training.runs_per_job`).

A job trains one run (`run`), every size of one seed (`seed`) or every run of one label source
(`source`); its outputs are always one prediction file per run, in the order of its runs.
"""

from __future__ import annotations

from collections.abc import Sequence

RUN = "results/runs/{dataset}/{source}/n{size}_seed{seed}/predictions.parquet"
KEYS = {"run": "n{size}_seed{seed}", "seed": "seed{seed}", "source": "all"}


def job_key(by: str) -> str:
    """The wildcard part that names one job's log and benchmark."""
    return KEYS[by]


def runs_of(
    by: str, sizes: Sequence[int], seeds: Sequence[int], size=None, seed=None
) -> list[tuple[int, int]]:
    """(size, seed) of each run of one job, given the job's own size/seed wildcards."""
    sizes = [int(size)] if by == "run" else list(sizes)
    seeds = list(seeds) if by == "source" else [int(seed)]
    return [(n, s) for s in seeds for n in sizes]


def outputs(by: str, sizes: Sequence[int], seeds: Sequence[int]) -> str | list[str]:
    """A job's prediction files (patterns over the wildcards it keeps), in `runs_of` order."""
    if by == "run":
        return RUN
    if by == "seed":
        return [RUN.replace("{size}", str(n)) for n in sizes]
    return [RUN.replace("{size}", str(n)).replace("{seed}", str(s)) for s in seeds for n in sizes]
