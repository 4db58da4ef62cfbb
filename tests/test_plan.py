"""The cost estimate (labelrisk.plan) on the tiny config, its figures worked out by hand."""

import copy

import pandas as pd
import pytest
import yaml
from snakemake.utils import update_config
from snakemake.utils import validate as fill_defaults

from conftest import ROOT
from labelrisk.artefacts import plan
from labelrisk.teachers.prompt import Prompt

pytestmark = pytest.mark.unit


@pytest.fixture
def tiny():
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    update_config(config, yaml.safe_load((ROOT / "tests/data/tiny_config.yaml").read_text()))
    config["grid"]["datasets"] = ["movies"]
    fill_defaults(config, str(ROOT / "schemas/config.schema.yaml"))
    return config


def items(n=48):
    # 8 and 12 characters: 2 and 3 tokens at 4 characters each
    return pd.DataFrame({"text": ["a" * 8, "b" * 12] * (n // 2), "label": [0, 1] * (n // 2)})


def test_training_figures(tiny):
    rows = plan.training_rows(tiny, {"movies": items()}).iloc[0]
    # 9 sources (gold, llm, entropy25, ensemble, learned25, cleanlab_drop, soft, 2 calibrated)
    # x 2 seeds x 2 sizes
    assert rows.runs == 36
    # 9 sources x 2 seeds x (16 items x 10 epochs + 32 x 5: training.min_steps 10 at batch
    # 16) x 2.5 tokens
    assert rows.training_tokens == 9 * 2 * (16 * 10 + 32 * 5) * 2.5 == 14400
    # 6 x 22.7M x 14400 + 2 x 22.7M x (36 runs x 24 test + 18 source-seeds x (10 + 5 epochs)
    # x 16 val) x 2.5, at 3e11 FLOP/s, and 4 s for each of the 36 runs (18 jobs, one per
    # source and seed, start at no cost)
    tiny["plan"]["student_parameters"] = 0.0227
    row = plan.training_rows(tiny, {"movies": items()}).iloc[0]
    flops = 6 * 22.7e6 * 14400 + 2 * 22.7e6 * (36 * 24 + 18 * 15 * 16) * 2.5
    assert row.jobs == 18
    assert row.hours == pytest.approx((flops / 3e11 + 36 * 4) / 3600)


def test_small_training_sets_train_min_steps():
    training = {"epochs": 3, "min_steps": 40, "train_batch_size": 16}
    # 100 items are 7 batches: 6 epochs reach 40 updates; 300 items (19 batches) need 3
    assert plan.epochs_for(training, 100) == 6 and plan.epochs_for(training, 300) == 3


def test_teacher_figures(tiny):
    same = pd.DataFrame({"text": ["a" * 8] * 48, "label": [0, 1] * 24})  # 2 tokens each
    rows = plan.teacher_rows(tiny, {"movies": same}).iloc[0]
    # the ensemble reads both members; 48 items each, and 3 content-free inputs
    assert (rows.members, rows.prompts) == (2, 2 * 48 + 3)
    # every draw of 3 demonstrations has the same length: "Text: aaaaaaaa\nLabel: 0" (with
    # "0" or "1"), so each prompt is the frame around them plus the text's 2 tokens
    prompt = Prompt.of_dataset(tiny["datasets"]["movies"])
    frame = len(prompt.user([("a" * 8, 0)] * 3, ""))
    assert rows.prompt_tokens == 2 * 48 * (-(-frame // 4) + 2)
    # 0.135B parameters x 2 FLOPs per token at 4.3e11 FLOP/s
    hours = 2 * 0.135e9 * rows.prompt_tokens / 4.3e11 / 3600
    assert rows.hours == pytest.approx(hours) and rows.api_cost == 0


def test_server_teacher_costs_its_price(tiny):
    config = copy.deepcopy(tiny)
    config["teachers"]["smollm2-135m"] = {
        "backend": "openai_chat",
        "openai": {"price": {"prompt": 0.15, "completion": 0.6}, "requests_per_minute": 60},
    }
    row = plan.teacher_rows(config, {"movies": items()}).iloc[0]
    # $0.15 per million prompt tokens, $0.60 per million answers of one token
    assert row.api_cost == pytest.approx((row.prompt_tokens * 0.15 + 99 * 0.6) / 1e6)
    assert row.hours == pytest.approx(99 / 60 / 60)  # 60 requests a minute
    assert row.device == "server"


def test_markdown_totals(tiny):
    teachers = plan.teacher_rows(tiny, {"movies": items()})
    training = plan.training_rows(tiny, {"movies": items()})
    md = plan.markdown(teachers, training, tiny)
    assert "- prompts: 99;" in md and "- fine-tuning runs: 36; training tokens: 14,400" in md
