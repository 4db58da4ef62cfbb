"""A student to keep: the export target re-trains one run of the study in its own job, checks it
predicts as the study's run did, and saves a model folder that names the dataset's labels."""

import re

import pytest

from conftest import ROOT, WORK, snakemake

CONFIGS = [str(ROOT / "config.yaml"), str(ROOT / "tests" / "data" / "tiny_config.yaml")]
EXPORT = "export: {source: smollm2-135m/llm, size: 16, seed: 2}\n"
# One dataset, gold and the teacher's labels only, two seeds, two sizes: the exported run
# (size 16) is the second its study job trained, after size 8.
SMALL = """
grid: {datasets: [movies], seeds: [1, 2], sizes: [8, 16]}
mitigations: {teachers: [], ensemble: false, entropy_alphas: [], learned_alphas: [],
  cleanlab: [], soft: false, calibrated: []}
annotation: {members: 1}
"""


def overlay(folder, name, text):
    path = folder / f"{name}.yaml"
    path.write_text(text)
    return str(path)


def planned(stdout):
    return dict(re.findall(r"^(\w+)\s+(\d+)$", stdout, flags=re.M))


@pytest.mark.dag
def test_export_settings_change_no_study_job(tmp_path):
    args = ["-n", "-d", str(tmp_path), "--configfile", *CONFIGS]
    without = planned(snakemake(*args).stdout)
    with_export = planned(snakemake(*args, overlay(tmp_path, "export", EXPORT)).stdout)
    assert without == with_export  # the default target is the study; export is its own


@pytest.fixture(scope="module")
def study(models, tmp_path_factory):
    work = tmp_path_factory.mktemp("export")
    (work / "resources").symlink_to(WORK / "resources", target_is_directory=True)
    small = overlay(work, "small", SMALL)
    args = ["-d", str(work), "--configfile", *CONFIGS, small]
    snakemake("results/metrics/movies/smollm2-135m/llm.parquet", "--cores", "2", *args)
    return work, [*args, overlay(work, "export", EXPORT)]


@pytest.mark.e2e
def test_enabling_export_trains_only_the_exported_run(study):
    _, args = study
    jobs = planned(snakemake("-n", "export", *args).stdout)
    assert jobs == {"export_student": "1", "export": "1", "total": "2"}


@pytest.mark.e2e
def test_exported_folder_loads_and_names_its_labels(study):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, pipeline

    work, args = study
    snakemake("export", "--cores", "2", *args)
    folder = work / "results/models/movies/smollm2-135m/llm/n16_seed2"
    model = AutoModelForSequenceClassification.from_pretrained(folder)
    assert model.config.id2label == {0: "negative", 1: "positive"}
    assert model.config.label2id == {"negative": 0, "positive": 1}
    classify = pipeline(
        "text-classification", model=model, tokenizer=AutoTokenizer.from_pretrained(folder)
    )
    answers = classify(["A wonderful, moving film.", "Dull and far too long."])
    assert {a["label"] for a in answers} <= {"negative", "positive"}
    card = (folder / "README.md").read_text()
    assert "labelled by the teacher `smollm2-135m`" in card and "16 items of `movies`" in card
    assert "| 0 training + 0 validation |" in card  # the teacher labelled both sets
    assert "its test predictions equal the study's run's" in card


@pytest.mark.unit
def test_export_keys_choose_one_run_per_dataset():
    from labelrisk.students.export import folders

    pattern = "{dataset}/{source}/n{size}_seed{seed}"
    sizes = {"a": [100, 300], "b": [50]}
    chosen = {"source": "t/llm", "size": None, "seed": None}
    assert folders(pattern, chosen, ["gold", "t/llm"], [3, 1], sizes) == [
        "a/t/llm/n300_seed3",
        "b/t/llm/n50_seed3",
    ]
    with pytest.raises(ValueError, match="export.source: name"):
        folders(pattern, {**chosen, "source": None}, ["gold"], [1], sizes)
    with pytest.raises(ValueError, match="export.size: 100 is not a size of 'b'"):
        folders(pattern, {**chosen, "size": 100}, ["t/llm"], [1], sizes)


@pytest.mark.unit
def test_model_card_names_collapsed_students():
    import pandas as pd

    from labelrisk.students.export import card

    metrics = pd.Series(
        {"seeds": 5, "acc_mean": 0.687, "acc_std": 0.02, "f1_mean": 0.485, "f1_std": 0.03}
        | {"gold_train": 0.0, "gold_val": 0.0, "collapsed": "seed 1 (0.97); seed 3 (0.92)"}
    )
    args = dict(dataset="movies", labels=["negative", "positive"], source="t/llm", teacher="t")
    args |= dict(size=300, base={"kind": "pypi"}, metrics=metrics)
    one = card(**args, seed=1)
    assert "## Collapsed students" in one
    assert "seed 1 (0.97); seed 3 (0.92) answer one class" in one
    assert "This folder's student (seed 1) is one of them" in one
    assert "This folder's student (seed 2) is not" in card(**args, seed=2)
    # seed 1 is not seed 13; a source without collapsed students has no such section
    assert "is not" in card(**args | {"metrics": metrics.copy()}, seed=13)
    fine = card(**args | {"metrics": metrics.drop("collapsed")}, seed=1)
    assert "Collapsed" not in fine and "Collapsed" not in card(
        **args | {"metrics": metrics.replace("seed 1 (0.97); seed 3 (0.92)", "")}, seed=1
    )
