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
    # each batch is padded to its longest text: 3 tokens, against 2.5 on average
    assert rows.padding == 1.2
    tiny["plan"]["student_parameters"] = 0.0227
    row = plan.training_rows(tiny, {"movies": items()}).iloc[0]
    flops = (6 * 22.7e6 * 14400 + 2 * 22.7e6 * (36 * 24 + 18 * 15 * 16) * 2.5) * 1.2
    assert row.jobs == 18
    assert row.hours == pytest.approx((flops / 3e11 + 36 * 4) / 3600)


def test_padding_follows_the_batch_order():
    lengths = [1] * 15 + [10]  # one long text
    # at random, a batch of 16 holds it: 16 x 10 tokens for 25
    assert plan.padding_factor(lengths, 16) == 6.4
    # sorted by length (evaluation): 8 x 1, then 8 x 10
    assert plan.padding_factor(lengths, 8, "sorted") == (8 + 80) / 25
    # length-grouped: the sampler sorts within groups of 50 batches, so here as sorted
    assert plan.padding_factor(lengths, 8, "grouped") == (8 + 80) / 25
    # random batches of 8: the long text pads one of the two
    assert plan.padding_factor(lengths, 8) == (8 + 80) / 25
    assert plan.padding_factor([5] * 10, 4) == 1.0


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
    prefix, suffix = prompt.user([("a" * 8, 0)] * 3, "\x00").split("\x00")
    assert rows.prompt_tokens == 2 * 48 * (-(-(len(prefix) + len(suffix)) // 4) + 2)
    # A local teacher computes the prefix before the text once per member (its KV cache is
    # reused): 0.135B parameters x 2 FLOPs per computed token at 4.3e11 FLOP/s
    computed = 2 * (-(-len(prefix) // 4) + 48 * (-(-len(suffix) // 4) + 2))
    hours = 2 * 0.135e9 * computed / 4.3e11 / 3600
    assert rows.hours == pytest.approx(hours) and rows.api_cost == 0
    assert computed < rows.prompt_tokens / 10


def test_server_teacher_costs_its_price(tiny):
    config = copy.deepcopy(tiny)
    config["teachers"]["smollm2-135m"] = {
        "backend": "openai_chat",
        "openai": {"price": {"prompt": 0.15, "completion": 0.6}, "requests_per_minute": 60},
    }
    row = plan.teacher_rows(config, {"movies": items()}).iloc[0]
    # $0.15 per million prompt tokens, $0.60 per million answers of one token
    assert row.api_cost == pytest.approx((row.prompt_tokens * 0.15 + 99 * 0.6) / 1e6)
    # 60 requests a minute bound the rate from above: a lower bound of the hours, no estimate
    assert row.hours_at_least == pytest.approx(99 / 60 / 60)
    assert pd.isna(row.hours) and row.hours_basis == "not measured yet"
    assert row.device == "server"
    measured = plan.teacher_rows(config, {"movies": items()}, {"smollm2-135m": 0.5}).iloc[0]
    assert measured.hours == pytest.approx(99 / 0.5 / 3600)
    assert measured.hours_basis == "measured 0.5 answers/s"


def test_an_answer_only_teacher_costs_k_calls_per_prompt(tiny):
    config = copy.deepcopy(tiny)
    opts = {"price": {"prompt": 0.15, "completion": 0.6}, "requests_per_minute": 60}
    opts |= {"logprobs": False, "samples": 5, "max_answer_tokens": 16}
    config["teachers"]["smollm2-135m"] = {"backend": "openai_chat", "openai": opts}
    row = plan.teacher_rows(config, {"movies": items()}).iloc[0]
    # 5 calls per prompt, each its prompt tokens and at most 16 answer tokens
    assert row.api_cost == pytest.approx(5 * (row.prompt_tokens * 0.15 + 99 * 16 * 0.6) / 1e6)
    assert row.hours_at_least == pytest.approx(5 * 99 / 60 / 60)
    assert row.calls_per_prompt == 5


def test_served_rate_from_the_answer_cache(tmp_path):
    import sqlite3

    from labelrisk.teachers.cache import SCHEMA

    path = tmp_path / "answers.sqlite"
    with sqlite3.connect(path) as db:
        db.execute(SCHEMA)
        url = "http://127.0.0.1:8080/v1/chat/completions"
        # two bursts: 11 answers 2 s apart, then (an hour later) 6 answers 0.5 s apart
        times = [100 + 2 * i for i in range(11)] + [4000 + 0.5 * i for i in range(6)]
        times += [50, 51]  # another server's answers
        urls = [url] * 17 + ["http://gpu-node:8000/v1/chat/completions"] * 2
        db.executemany(
            "INSERT INTO answers VALUES (?, ?, '{}', '{}', ?)",
            [(str(i), u, t) for i, (u, t) in enumerate(zip(urls, times, strict=True))],
        )
    # 10 + 5 intervals in 20 + 2.5 s; the hour between the bursts is idle, not serving
    assert plan.served_rate(str(path), "http://127.0.0.1:8080/v1") == pytest.approx(15 / 22.5)
    assert plan.served_rate(str(path), "http://gpu-node:8000/v1/") is None  # 1 interval


def test_first_prompts_in_the_plan(tiny):
    df = items()
    prompts = plan.prompt_examples(tiny, {"movies": df})
    assert [h for h, _ in prompts] == [
        "smollm2-135m, member 0, movies",
        "smollm2-135m, member 1, movies",
    ]
    # the first pool item ("aaaaaaaa") with member 0's demonstrations, as the job renders it
    demos = plan.draw_demonstrations(df, tiny["annotation"]["shots"], tiny["annotation"]["seed"], 0)
    pairs = list(zip(demos.text, demos.label, strict=True))
    assert prompts[0][1] == Prompt.of_dataset(tiny["datasets"]["movies"]).user(pairs, "a" * 8)
    assert "Text to classify: aaaaaaaa\n" in prompts[0][1]
    teachers = plan.teacher_rows(tiny, {"movies": df})
    training = plan.training_rows(tiny, {"movies": df})
    md = plan.markdown(teachers, training, tiny, prompts)
    assert "## First prompt: smollm2-135m, member 1, movies\n\n```text\n" in md


def test_markdown_totals(tiny):
    teachers = plan.teacher_rows(tiny, {"movies": items()})
    training = plan.training_rows(tiny, {"movies": items()})
    md = plan.markdown(teachers, training, tiny)
    assert "- prompts: 99;" in md and "- fine-tuning runs: 36; training tokens: 14,400" in md


def test_fine_tuning_hours_measured_by_a_run(tiny, tmp_path):
    bench = tmp_path / "benchmarks" / "train"
    header = "s\th:m:s\tmax_rss\tcpu_time\n"
    for source, cpu in [("gold", 30.0), ("t/llm", 50.0)]:
        (bench / "movies" / source).mkdir(parents=True)
        (bench / "movies" / source / "seed1.tsv").write_text(header + f"20\t0:00:20\t900\t{cpu}\n")
    (bench / "movies" / "gold" / "n16_seed1.tsv").write_text(header + "5\t0:00:05\t900\t999\n")
    found = plan.read_benchmarks(str(bench), ["movies", "nyt"], "seed{seed}")
    assert found == {"movies": [30.0, 50.0], "nyt": []}  # another job layout is not counted
    training = plan.training_rows(tiny, {"movies": items(), "nyt": items()})
    out = plan.measured_training(training, found)
    movies, nyt = out.iloc[0], out.iloc[1]
    assert movies.hours_measured == pytest.approx(movies.jobs * 40.0 / 3600)
    assert movies.jobs_measured == 2 and pd.isna(nyt.hours_measured) and nyt.jobs_measured == 0
    teachers = plan.teacher_rows(tiny, {"movies": items()})
    md = plan.markdown(teachers, out, tiny)
    assert f"-hours measured: {movies.hours_measured:,.3g} (mean CPU-seconds of the 2" in md
