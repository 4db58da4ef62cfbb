"""No table from stale results: when a job that would remake an existing file cannot be
planned, Snakemake uses the old file; the config's own inputs are checked before that."""

import pytest

from conftest import ROOT, snakemake

pytestmark = pytest.mark.dag

# What a finished run of the default leaves (the workflow's final targets).
FINISHED = ["results/config.yaml", "results/tables/gap_recovered.csv"]
FINISHED += [f"results/tables/{t}.{e}" for t in ("table1", "table2") for e in ("csv", "md", "tex")]
FINISHED += [f"results/tables/{t}.csv" for t in ("summary", "teacher_quality")]
FINISHED += [
    f"results/tables/{t}.{e}"
    for t in ("teacher_diagnostics", "minority", "claims", "paper_vs_run")
    for e in ("csv", "md")
]
FINISHED += [
    f"results/figures/{f}"
    for f in ("figure2.png", "figure2.pdf", "teacher_confusion.png", "teacher_reliability.png")
    + ("budget.png", "minority.png")
]


def test_the_paper_config_without_its_saved_table_stops_despite_old_tables(tmp_path):
    """After a run of the default, the paper config's dry run (Manifestos not saved yet) would
    plan the paper's tables from the default's summary."""
    for name in FINISHED:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("dataset,source,size\nmovies,gold,300\n")
    res = snakemake(
        "-n", "-d", str(tmp_path), "--configfile", str(ROOT / "config/paper.yaml"), check=False
    )
    assert res.returncode != 0
    assert (
        "datasets.manifestos.origin.path: resources/downloads/manifestos/"
        "cc_muller.csv does not exist (save the table there, or fix the path)"
    ) in res.stdout + res.stderr
