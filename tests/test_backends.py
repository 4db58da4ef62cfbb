"""Parts of the vLLM and server backends that need no engine: distributions, requests, routing,
and the server teachers' plumbing against a real HTTP server on 127.0.0.1 (tests/openai_stub)."""

import importlib
import json
import math
import re
import subprocess
import sys
import time

import numpy as np
import pytest
from openai_stub import MODEL, Stub, p_second

from conftest import ROOT, snakemake
from labelrisk.annotation.job import engine_identity
from labelrisk.teachers.chat_backend import ChatTeacher
from labelrisk.teachers.logprobs import MissingClassLogprob, class_scores, prefix_mass
from labelrisk.teachers.prompt import Prompt
from labelrisk.teachers.ratelimit import RateLimiter
from labelrisk.teachers.registry import vllm_options
from labelrisk.teachers.served import NoLabelError, constraint_body
from labelrisk.teachers.server import Server, ServerError, retry_after


@pytest.fixture
def stub():
    s = Stub()
    yield s
    s.close()


@pytest.mark.unit
def test_post_mask_logprobs_renormalise_and_have_no_mass():
    # What vLLM returns under guided choice: class tokens finite, the rest -inf.
    reported = [{16: -0.2812, 15: -1.4062, 3: -np.inf}, {15: -0.1, 16: -2.4}]
    s = class_scores(reported, [15, 16], pre_mask=False)
    p0 = np.exp([-1.4062, -0.2812]) / np.exp([-1.4062, -0.2812]).sum()
    np.testing.assert_allclose(s.probs[0], p0)
    assert s.probs[1].argmax() == 0 and np.isnan(s.class_mass).all()


@pytest.mark.unit
def test_pre_mask_logprobs_give_the_class_mass():
    reported = [{"1": np.log(0.5), "0": np.log(0.2), "positive": np.log(0.3)}]
    s = class_scores(reported, ["0", "1"], pre_mask=True)
    np.testing.assert_allclose(s.probs[0], [0.2 / 0.7, 0.5 / 0.7])
    np.testing.assert_allclose(s.class_mass, [0.7])


@pytest.mark.unit
def test_a_missing_class_is_an_error_unless_zero_is_asked_for():
    reported = [{"1": -0.1, "positive": -3.0}, {"The": -0.1}]
    with pytest.raises(MissingClassLogprob, match="class 0"):
        class_scores(reported, ["0", "1"], pre_mask=True)
    s = class_scores(reported, ["0", "1"], pre_mask=True, missing="zero")
    assert s.probs[0].tolist() == [0.0, 1.0]
    # No label at all: flagged, never silently a distribution.
    assert s.no_label.tolist() == [False, True] and s.class_mass[1] == 0


@pytest.mark.unit
def test_prefix_mass_reads_words_by_the_tokens_that_begin_them():
    top = [
        ("pos", math.log(0.5)),
        ("positive", math.log(0.1)),
        ("neg", math.log(0.2)),
        ("ne", math.log(0.05)),  # begins negative and neutral: says neither
        ("The", math.log(0.1)),
        ("", math.log(0.01)),
        ("x", -9999.0),  # a server's -inf
    ]
    mass = prefix_mass(top, ["negative", "positive", "neutral"])
    np.testing.assert_allclose(mass, [0.2, 0.6, 0.0])
    np.testing.assert_allclose(
        prefix_mass([("1", -0.1), ("0", -2.4)], ["0", "1"]), [0.0907179, 0.904837], rtol=1e-5
    )


@pytest.mark.unit
def test_constraint_bodies_name_each_servers_field():
    assert constraint_body("structured_outputs", ["0", "1"]) == {
        "structured_outputs": {"choice": ["0", "1"]}
    }
    assert constraint_body("guided_choice", ["0"]) == {"guided_choice": ["0"]}
    assert constraint_body("gbnf", ["0", "1", "2"]) == {"grammar": 'root ::= "0" | "1" | "2"'}
    assert constraint_body("logit_bias", ["0", "1"], [15, 16]) == {
        "logit_bias": {"15": 100, "16": 100}
    }
    assert constraint_body("none", ["0"]) == {}
    with pytest.raises(ValueError, match="unknown constraint"):
        constraint_body("regex", ["0"])


@pytest.mark.unit
def test_journals_of_different_engines_never_mix():
    tf = engine_identity({"backend": "transformers", "dtype": "bfloat16"})
    vl = engine_identity({"backend": "vllm", "dtype": "bfloat16"})
    srv = engine_identity({"backend": "openai", "openai": {"base_url": "u", "model": "m"}})
    assert len({str(tf), str(vl), str(srv)}) == 3
    assert "key" not in str(srv).lower()


@pytest.mark.unit
def test_vllm_options_drop_the_interpreter():
    cfg = {"dtype": "float32", "vllm": {"python": "/v/bin/python", "chunk_size": 8}}
    assert vllm_options(cfg) == {"dtype": "float32", "chunk_size": 8}


@pytest.mark.unit
def test_vllm_is_imported_only_when_used():
    sys.modules.pop("labelrisk.teachers.vllm_backend", None)
    importlib.import_module("labelrisk.teachers.vllm_backend")
    importlib.import_module("labelrisk.annotation.vllm_worker")
    assert "vllm" not in sys.modules


@pytest.mark.unit
def test_a_chat_job_imports_neither_torch_nor_transformers():
    """The chat teacher's job runs in the light env (envs/annotation-chat.yaml)."""
    code = (
        "import sys; import labelrisk.annotation.runner, labelrisk.teachers.registry, "
        "labelrisk.teachers.chat_backend; "
        "print(sorted(m for m in ('torch', 'transformers', 'tokenizers') if m in sys.modules))"
    )
    res = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT / "workflow_scripts",
        capture_output=True,
        text=True,
        check=True,
    )
    assert res.stdout.strip() == "[]"


# --- rate limits, retries, the answer cache (a real HTTP server on 127.0.0.1) ---


class Clock:
    def __init__(self):
        self.now = 0.0
        self.slept = []

    def __call__(self):
        return self.now

    def sleep(self, s):
        self.slept.append(s)
        self.now += s


@pytest.mark.unit
def test_requests_per_minute_hold_the_third_request_until_the_first_leaves_the_window():
    c = Clock()
    lim = RateLimiter(requests_per_minute=2, clock=c, sleep=c.sleep)
    lim.acquire(1)
    c.now = 10.0
    lim.acquire(1)
    lim.acquire(1)  # the first was sent at 0: this one waits until 60
    assert c.slept == [50.0] and c.now == 60.0


@pytest.mark.unit
def test_tokens_per_minute_count_what_the_server_reports():
    c = Clock()
    lim = RateLimiter(tokens_per_minute=1000, clock=c, sleep=c.sleep)
    first = lim.acquire(600)  # estimated
    lim.settle(first, 300)  # used
    lim.acquire(600)  # 300 + 600 <= 1000: no wait
    assert c.slept == []
    lim.acquire(200)  # 900 + 200 > 1000: waits for the first to leave the window
    assert c.slept == [60.0]
    lim.pause(5.0)  # a Retry-After: everyone waits
    lim.acquire(1)
    assert c.slept == [60.0, 5.0]


@pytest.mark.unit
def test_retry_after_in_seconds_or_as_a_date():
    assert retry_after({"Retry-After": "3"}) == 3.0
    assert retry_after({}) is None
    soon = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 30))
    assert 28 <= retry_after({"Retry-After": soon}) <= 30


def chat_teacher(stub, tmp_path, **options):
    opts = {"base_url": stub.url, "model": MODEL, "api_key_env": None, "concurrency": 1}
    return ChatTeacher(opts | options, str(tmp_path / "answers.sqlite"))


PROMPT = Prompt("Classify reviews.", ("negative", "positive"))
DEMOS = [("Awful.", 0), ("Lovely.", 1)]
TEXTS = [f"review number {i}" for i in range(6)]


def scores(teacher, texts=TEXTS, prompt=PROMPT):
    out = {}
    for idx, s in teacher.score_items(prompt, DEMOS, texts):
        out.update({texts[i]: s.probs[r] for r, i in enumerate(idx)})
    return np.stack([out[t] for t in texts])


@pytest.mark.unit
def test_429_with_retry_after_is_honoured_and_then_answered(stub, tmp_path):
    stub.script = [(429, {"Retry-After": "1"}), (429, {"Retry-After": "1"})]
    teacher = chat_teacher(stub, tmp_path, max_retries=3, backoff=0.01)
    p = scores(teacher, TEXTS[:1])
    times = [t for t, path, _ in stub.requests if path.endswith("/chat/completions")]
    assert len(times) == 3  # two refusals, then the answer
    assert times[1] - times[0] >= 1.0 and times[2] - times[1] >= 1.0  # waited as told
    np.testing.assert_allclose(p[0, 1], p_second(f"Text to classify: {TEXTS[0]}"))
    rec = teacher.record()
    assert rec["calls"] == 1 and rec["retries"] == 2 and rec["cache_hits"] == 0


@pytest.mark.unit
def test_a_server_that_keeps_failing_stops_the_job_and_loses_no_answer(stub, tmp_path):
    stub.fail_after = 3  # answers three requests, then 500 for ever
    teacher = chat_teacher(stub, tmp_path, max_retries=2, backoff=0.01, chunk_size=4)
    with pytest.raises(ServerError, match=r"failed 3 times; last answer: HTTP 500.*stub is down"):
        scores(teacher)
    assert len(stub.sent()) == 3 + 3  # three answers, then one request tried three times
    assert len(teacher.server.cache) == 3  # what arrived is kept
    stub.fail_after = None
    again = chat_teacher(stub, tmp_path)
    p = scores(again)
    assert len(stub.sent()) == 6 + 3  # only the three not answered before are sent
    assert again.record()["cache_hits"] == 3 and again.record()["calls"] == 3
    expect = [p_second(f"Text to classify: {t}") for t in TEXTS]
    np.testing.assert_allclose(p[:, 1], expect)


@pytest.mark.unit
def test_a_wait_longer_than_max_wait_stops_at_once(stub, tmp_path):
    stub.script = [(503, {"Retry-After": "3600"})]
    teacher = chat_teacher(stub, tmp_path, max_wait=60)
    with pytest.raises(ServerError, match="asks to wait 3600 s.*max_wait"):
        scores(teacher, TEXTS[:1])
    assert len(stub.sent()) == 1


@pytest.mark.unit
def test_a_refused_request_is_not_retried(stub, tmp_path):
    stub.script = [(400, {})]
    with pytest.raises(ServerError, match="answered HTTP 400"):
        scores(chat_teacher(stub, tmp_path), TEXTS[:1])
    assert len(stub.sent()) == 1


@pytest.mark.unit
def test_a_larger_pool_sends_only_the_new_prompts_and_counts_the_cost(stub, tmp_path):
    price = {"prompt": 0.15, "completion": 0.6}
    first = chat_teacher(stub, tmp_path, price=price)
    scores(first, TEXTS[:4])
    rec = first.record()
    assert rec["calls"] == 4 and rec["cache_hits"] == 0
    tokens = sum(len(json.dumps(b["messages"])) // 4 for b in stub.sent())
    assert rec["prompt_tokens"] == tokens and rec["completion_tokens"] == 4
    assert rec["cost"] == pytest.approx((tokens * 0.15 + 4 * 0.6) / 1e6)
    assert rec["model"] == {"id": MODEL, "revision": None, "root": "/models/stub"}
    assert rec["reported_models"] == [MODEL]
    grown = chat_teacher(stub, tmp_path, price=price)
    scores(grown, TEXTS)  # the pool grows from 4 to 6 items
    assert grown.record()["calls"] == 2 and grown.record()["cache_hits"] == 4
    assert len(stub.sent()) == 6
    # Other demonstrations (another member) are other prompts; a re-run sends nothing.
    member = chat_teacher(stub, tmp_path)
    for _ in member.score_items(PROMPT, DEMOS[:1], TEXTS[:2]):
        pass
    assert member.record()["calls"] == 2 and len(stub.sent()) == 8
    rerun = chat_teacher(stub, tmp_path)
    scores(rerun)
    assert rerun.record()["calls"] == 0 and rerun.record()["cache_hits"] == 6


@pytest.mark.unit
def test_the_cache_key_holds_endpoint_model_and_decoding(stub, tmp_path):
    scores(chat_teacher(stub, tmp_path), TEXTS[:1])
    scores(chat_teacher(stub, tmp_path, top_logprobs=5), TEXTS[:1])
    scores(chat_teacher(stub, tmp_path, revision="weights-2"), TEXTS[:1])
    scores(chat_teacher(stub, tmp_path, concurrency=3, timeout=9), TEXTS[:1])  # same answer
    assert len(stub.sent()) == 3


@pytest.mark.unit
def test_words_are_asked_as_words_and_read_back(stub, tmp_path):
    words = Prompt("Classify reviews.", ("negative", "positive"), answer="words")
    p = scores(chat_teacher(stub, tmp_path), TEXTS[:2], words)
    body = stub.sent()[0]
    assert body["structured_outputs"] == {"choice": ["negative", "positive"]}
    assert body["max_tokens"] == 1 and body["logprobs"] is True and body["temperature"] == 0
    assert "Label: negative" in body["messages"][-1]["content"]
    np.testing.assert_allclose(p[:, 1], [p_second(f"Text to classify: {t}") for t in TEXTS[:2]])


@pytest.mark.unit
def test_items_without_a_label_answer_stop_the_job_or_stay_flagged(stub, tmp_path):
    stub.off_label = True
    teacher = chat_teacher(stub, tmp_path, constraint="none")
    with pytest.raises(NoLabelError, match=r"2 of 2 items: no label answer"):
        scores(teacher, TEXTS[:2])
    kept = chat_teacher(stub, tmp_path, constraint="none", no_label="uniform")
    flagged = [s for _, s in kept.score_items(PROMPT, DEMOS, TEXTS[:2])][0]
    assert flagged.no_label.tolist() == [True, True]
    assert flagged.probs.tolist() == [[0.5, 0.5], [0.5, 0.5]]
    assert flagged.class_mass.tolist() == [0.0, 0.0]  # unconstrained: the off-label mass is seen
    assert len(stub.sent()) == 2  # the second teacher read the first one's answers


@pytest.mark.unit
def test_a_model_the_server_does_not_serve_is_refused(stub, tmp_path):
    with pytest.raises(ServerError, match="serves \\['stub-model'\\], not 'gpt-x'"):
        chat_teacher(stub, tmp_path, model="gpt-x")


@pytest.mark.unit
def test_two_processes_write_the_cache_at_once(tmp_path):
    """WAL and a busy timeout: concurrent jobs never lose an answer or fail on a lock."""
    code = (
        "import sys; from labelrisk.teachers.cache import AnswerCache\n"
        "c = AnswerCache(sys.argv[1])\n"
        "for i in range(300): c.put(f'{sys.argv[2]}{i}', 'u', {'i': i}, {'a': i})\n"
    )
    db = str(tmp_path / "a.sqlite")
    procs = [
        subprocess.Popen([sys.executable, "-c", code, db, tag], cwd=ROOT / "workflow_scripts")
        for tag in "ab"
    ]
    assert [p.wait(120) for p in procs] == [0, 0]
    from labelrisk.teachers.cache import AnswerCache

    cache = AnswerCache(db)
    assert len(cache) == 600 and cache.get_many(["a7", "b299"]) == {
        "a7": {"a": 7},
        "b299": {"a": 299},
    }


@pytest.mark.unit
def test_server_url_and_key(monkeypatch):
    monkeypatch.setenv("LABELRISK_TEST_KEY", "k123")
    s = Server("http://h:1/v1/", "LABELRISK_TEST_KEY")
    assert s.url("chat/completions") == "http://h:1/v1/chat/completions"
    assert s.url("/tokenize") == "http://h:1/tokenize"
    assert s.session.headers["Authorization"] == "Bearer k123"
    monkeypatch.delenv("LABELRISK_TEST_KEY")
    with pytest.raises(RuntimeError, match="LABELRISK_TEST_KEY"):
        Server("http://h:1/v1", "LABELRISK_TEST_KEY")


# --- rules ---


def _config(tmp_path, key_env):
    (tmp_path / "x").mkdir(exist_ok=True)  # the teachers' local folder: an input of fetch_teacher
    (tmp_path / "x" / "config.json").write_text("{}")
    cfg = tmp_path / "backends.yaml"
    cfg.write_text(
        "grid: {datasets: [movies], teachers: [tf, vl, srv, chat, bat], student: minilm-l6,"
        " sizes: [16]}\n"
        "annotation: {members: 1}\n"
        "mitigations: {teachers: [tf], ensemble: false, vote: false, calibrated: [content_free]}\n"
        "teachers:\n"
        "  tf: {origin: {kind: local, path: x}}\n"
        "  vl: {backend: vllm, origin: {kind: local, path: x}}\n"
        f"  srv: {{backend: openai, origin: {{kind: local, path: x}},"
        f" openai: {{model: m, api_key_env: {key_env}}}}}\n"
        f"  chat: {{backend: openai_chat, openai: {{model: gpt, api_key_env: {key_env}}}}}\n"
        f"  bat: {{backend: openai_batch, openai: {{model: gpt, api_key_env: {key_env}}}}}\n"
    )
    return ["-n", "-d", str(tmp_path), "--configfile", str(ROOT / "config.yaml"), str(cfg)]


@pytest.mark.dag
def test_each_backend_has_its_rules_and_a_dry_run_needs_no_key(tmp_path, monkeypatch):
    args = _config(tmp_path, "LABELRISK_TEST_KEY")
    monkeypatch.delenv("LABELRISK_TEST_KEY", raising=False)  # only a real run asks for it
    res = snakemake(*args)
    blocks = re.split(r"^(?:local)?rule ", res.stdout, flags=re.M)
    plan = {}
    for b in blocks:
        if m := re.search(r"output: results/(annotations|content_free)/movies/([\w-]+)/", b):
            plan[(m.group(1), m.group(2))] = b.split(":", 1)[0]
    assert plan == {
        ("annotations", "tf"): "annotate",
        ("annotations", "vl"): "annotate_vllm",
        ("annotations", "srv"): "annotate_openai",
        ("annotations", "chat"): "annotate_chat",
        ("annotations", "bat"): "annotate_batch",
        ("content_free", "tf"): "content_free",
        ("content_free", "vl"): "content_free_vllm",
        ("content_free", "srv"): "content_free_openai",
        ("content_free", "chat"): "content_free_chat",
        ("content_free", "bat"): "content_free_batch",
    }
    # A chat teacher has no model folder to fetch; the others have theirs.
    fetched = re.findall(r"output: resources/teachers/([\w-]+)", res.stdout)
    assert sorted(fetched) == ["srv", "tf", "vl"]


@pytest.mark.dag
def test_a_server_teacher_must_name_its_model(tmp_path):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("teachers: {srv: {backend: openai_chat, openai: {base_url: u}}}\n")
    res = snakemake(
        "-n", "-d", str(tmp_path), "--configfile", str(ROOT / "config.yaml"), str(cfg), check=False
    )
    out = res.stdout + res.stderr
    assert res.returncode != 0 and "teachers.srv.openai" in out and "'model'" in out


@pytest.mark.unit
def test_a_chat_teacher_cuts_long_texts_without_a_tokenizer(stub, tmp_path):
    teacher = chat_teacher(stub, tmp_path)
    assert teacher.truncate("short", 8) == ("short", False)  # <= 8 bytes: <= 8 tokens
    assert not [p for _, p, _ in stub.requests if p == "/tokenize"]  # not even asked
    # The stub offers no /tokenize (as hosted APIs): 4 characters a token.
    assert teacher.truncate("x" * 50, 8) == ("x" * 32, True)
    assert teacher.truncate("x" * 30, 8) == ("x" * 30, False)
    assert [p for _, p, _ in stub.requests if p == "/tokenize"] == ["/tokenize"]  # asked once


@pytest.mark.unit
def test_requests_in_flight_when_one_fails_for_good_are_kept(tmp_path):
    slow = Stub(delay=0.3)
    try:
        slow.fail_after = 4
        teacher = chat_teacher(slow, tmp_path, concurrency=3, max_retries=0, chunk_size=12)
        with pytest.raises(ServerError, match="HTTP 500"):
            scores(teacher, [f"t{i}" for i in range(12)])
        answered = len(teacher.server.cache)
        assert answered == 4 and len(slow.sent()) < 12  # the rest was never sent
    finally:
        slow.close()
