"""Whether the tables an artefact reads cover exactly the configured grid.

Snakemake falls back to an existing file when it cannot plan the job that would remake it,
so an artefact may be handed tables of an earlier grid (another dataset, fewer seeds). Each
check lists what is missing and what does not belong, and the artefact refuses to be built.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd


class CoverageError(ValueError):
    pass


def _listed(keys, limit: int = 8) -> str:
    keys = sorted(keys)
    text = ", ".join("/".join(map(str, k)) for k in keys[:limit])
    return text + (f" and {len(keys) - limit} more" if len(keys) > limit else "")


def metric_gaps(
    table: pd.DataFrame,
    datasets: Sequence[str],
    sources: Sequence[str],
    sizes: Mapping[str, Sequence[int]],
    seeds: Sequence[int],
) -> list[str]:
    """What a table of (dataset, source, size) rows over `seeds` lacks or holds beyond the grid:
    every configured (dataset, source, size) once, each aggregated over len(seeds) seeds."""
    want = {(d, s, int(n)) for d in datasets for s in sources for n in sizes[d]}
    keys = list(zip(table["dataset"], table["source"], table["size"].astype(int), strict=True))
    have = set(keys)
    gaps = []
    if missing := want - have:
        gaps.append(f"missing (dataset/source/size): {_listed(missing)}")
    if extra := have - want:
        gaps.append(f"not in the grid: {_listed(extra)}")
    if len(keys) != len(have):
        gaps.append("some (dataset, source, size) appear more than once")
    off = table[table["seeds"] != len(seeds)]
    if not off.empty:
        counts = sorted(set(off["seeds"].astype(int)))
        gaps.append(
            f"{len(off)} rows aggregate {counts} seeds, grid.seeds has {len(seeds)}: "
            f"{_listed(zip(off['dataset'], off['source'], off['size'], strict=True))}"
        )
    return gaps


def teacher_gaps(
    table: pd.DataFrame,
    datasets: Sequence[str],
    members: Mapping[str, Sequence[int]],
) -> list[str]:
    """What a teacher-quality table lacks or holds beyond the grid: one uncalibrated row per
    (dataset, teacher, member) the grid annotates (`members` by teacher)."""
    rows = table[table["calibration"] == "none"]
    want = {(d, t, int(m)) for d in datasets for t, ms in members.items() for m in ms}
    have = set(zip(rows["dataset"], rows["teacher"], rows["member"].astype(int), strict=True))
    gaps = []
    if missing := want - have:
        gaps.append(f"missing (dataset/teacher/member): {_listed(missing)}")
    if extra := have - want:
        gaps.append(f"not in the grid: {_listed(extra)}")
    return gaps


def require(gaps: list[str], what: str) -> None:
    """Raise a CoverageError naming `what` (the table) and each gap."""
    if gaps:
        raise CoverageError(
            f"refusing {what}: not the configured grid ({'; '.join(gaps)}). These are results "
            "of an earlier config; re-run the jobs that make them (`snakemake -n` names them), "
            "or check the config for a dataset or model that cannot be read."
        )
