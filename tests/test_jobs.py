"""Training-job grouping: runs, outputs and names agree for every `runs_per_job`."""

import pytest

from labelrisk.students.jobs import RUN, job_key, outputs, runs_of

SIZES, SEEDS = [100, 300], [1, 2, 3]


def test_one_job_per_source_trains_every_run_seed_major():
    runs = runs_of("source", SIZES, SEEDS)
    assert runs == [(100, 1), (300, 1), (100, 2), (300, 2), (100, 3), (300, 3)]
    files = outputs("source", SIZES, SEEDS)
    assert files == [RUN.replace("{size}", str(n)).replace("{seed}", str(s)) for n, s in runs]
    assert job_key("source") == "all"


def test_one_job_per_seed_keeps_the_seed_wildcard():
    assert runs_of("seed", SIZES, SEEDS, seed="2") == [(100, 2), (300, 2)]
    assert outputs("seed", SIZES, SEEDS) == [
        RUN.replace("{size}", "100"),
        RUN.replace("{size}", "300"),
    ]
    assert "{seed}" in job_key("seed") and "{size}" not in job_key("seed")


def test_one_job_per_run():
    assert runs_of("run", SIZES, SEEDS, size="300", seed="1") == [(300, 1)]
    assert outputs("run", SIZES, SEEDS) == RUN


def test_an_unknown_grouping_is_refused():
    with pytest.raises(KeyError):
        job_key("dataset")
