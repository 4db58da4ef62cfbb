"""member<m>.json records the prompt that was sent: demonstrations cut to the text budget."""

import json

import pandas as pd
import pytest

from labelrisk.annotation.job import Job, run
from labelrisk.teachers.transformers_backend import TransformersTeacher

pytestmark = pytest.mark.e2e

LONG = "An endless review. " * 10_000  # 190,000 characters


def test_the_recorded_prompt_is_the_one_sent(models, tmp_path):
    pool = pd.DataFrame({"id": ["a", "b"], "text": [LONG, "Short and sweet."], "label": [0, 1]})
    val = pd.DataFrame({"id": ["c"], "text": ["Fine."], "label": [1]})
    pool.to_parquet(tmp_path / "pool.parquet")
    val.to_parquet(tmp_path / "val.parquet")
    job = Job(
        kind="annotate",
        dataset_name="mine",
        teacher_name="small",
        member=0,
        pool=str(tmp_path / "pool.parquet"),
        val=str(tmp_path / "val.parquet"),
        teacher_dir=str(models["teacher"]),
        dataset={"task": "Classify reviews.", "labels": ["negative", "positive"]},
        teacher={"backend": "transformers", "dtype": "float32"},
        annotation={
            "shots": 2,
            "seed": 0,
            "max_text_tokens": 16,
            "batch_tokens": 1024,
            "max_batch": 4,
        },
        journal=str(tmp_path / "journal"),
        outputs={
            "labels": str(tmp_path / "member0.parquet"),
            "meta": str(tmp_path / "member0.json"),
        },
    )
    run(job, TransformersTeacher(str(models["teacher"]), "float32", 1))
    meta = json.loads((tmp_path / "member0.json").read_text())
    assert LONG not in meta["prompt_example"] and len(meta["prompt_example"]) < 2_000
    assert "Text: An endless review." in meta["prompt_example"]
    assert meta["truncated_demonstrations"] == 1  # the long demonstration, cut to 16 tokens
    assert meta["truncated_items"] == 1  # the long pool item itself
