"""Training-job grouping: runs, job names and the tables that hold runs agree for every
`runs_per_job`."""

import pandas as pd
import pytest

from labelrisk.students.jobs import (
    job_key,
    jobs_of,
    prediction_settings,
    runs_of,
    split_runs,
    with_run,
)

pytestmark = pytest.mark.unit

SIZES, SEEDS = [100, 300], [1, 2, 3]


def test_one_job_per_source_trains_every_run_seed_major():
    runs = runs_of("source", SIZES, SEEDS)
    assert runs == [(100, 1), (300, 1), (100, 2), (300, 2), (100, 3), (300, 3)]
    assert jobs_of("source", SIZES, SEEDS) == [{}] and job_key("source") == "all"


def test_one_job_per_seed_keeps_the_seed_wildcard():
    assert runs_of("seed", SIZES, SEEDS, seed="2") == [(100, 2), (300, 2)]
    assert jobs_of("seed", SIZES, SEEDS) == [{"seed": 1}, {"seed": 2}, {"seed": 3}]
    assert job_key("seed").format(seed=2) == "seed2"


def test_one_job_per_run():
    assert runs_of("run", SIZES, SEEDS, size="300", seed="1") == [(300, 1)]
    jobs = jobs_of("run", SIZES, SEEDS)
    assert [job_key("run").format(**j) for j in jobs[:3]] == [
        "n100_seed1",
        "n300_seed1",
        "n100_seed2",
    ]
    # every run of the source once, in the order `runs_of("source", ...)` gives
    assert [(j["size"], j["seed"]) for j in jobs] == runs_of("source", SIZES, SEEDS)


def test_an_unknown_grouping_is_refused():
    with pytest.raises(KeyError):
        job_key("dataset")


def test_a_job_table_splits_back_into_its_runs():
    a = pd.DataFrame({"id": ["x", "y"], "pred": [0, 1]})
    b = pd.DataFrame({"id": ["x", "y"], "pred": [1, 1]})
    job1 = pd.concat([with_run(a, 100, 1), with_run(b, 300, 1)], ignore_index=True)
    job2 = with_run(a, 100, 2)
    assert list(job1.columns) == ["size", "seed", "id", "pred"]
    runs = split_runs([job1, job2], [(100, 2), (300, 1), (100, 1)])
    pd.testing.assert_frame_equal(runs[0], a)
    pd.testing.assert_frame_equal(runs[1], b)
    pd.testing.assert_frame_equal(runs[2], a)
    with pytest.raises(ValueError, match=r"no rows for runs .* \[\(300, 2\)\]"):
        split_runs([job1, job2], [(300, 2)])


def test_settings_that_change_no_prediction_are_left_out():
    training = {"learning_rate": 3e-4, "epochs": 3, "keep_models": True, "runs_per_job": "seed"}
    training |= {"best_weights": "disk", "save_total_limit": 2}
    assert prediction_settings(training) == {"learning_rate": 3e-4, "epochs": 3}
