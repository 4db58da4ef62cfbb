"""Server teachers against the world misbehaving: label variants, bad answers and the cache,
secrets, answer-only and reasoning models (a real HTTP stub on 127.0.0.1, tests/openai_stub)."""

import hashlib
import logging
import math
import sqlite3
import threading
import time

import numpy as np
import pandas as pd
import pytest
from openai_stub import MODEL, Stub, p_second

from labelrisk.annotation.journal import annotate
from labelrisk.teachers.answers import AnswerReader, collisions, label_words_error, normalise
from labelrisk.teachers.cache import AnswerCache, CacheError, request_key
from labelrisk.teachers.chat_backend import ChatTeacher
from labelrisk.teachers.config_checks import server_teacher_errors
from labelrisk.teachers.keys import base_url_error, key_env_error, redact
from labelrisk.teachers.logprobs import prefix_mass
from labelrisk.teachers.prompt import Prompt
from labelrisk.teachers.ratelimit import RateLimiter
from labelrisk.teachers.sampled import sample_seed, tied_to_first
from labelrisk.teachers.served import LowLabelMassError, NoLabelError
from labelrisk.teachers.server import Server, ServerError

pytestmark = pytest.mark.unit

PROMPT = Prompt("Classify reviews.", ("negative", "positive"))
WORDS = Prompt("Classify reviews.", ("negative", "positive"), answer="words")
DEMOS = [("Awful.", 0), ("Lovely.", 1)]
TEXTS = [f"review number {i}" for i in range(6)]


@pytest.fixture
def stub():
    s = Stub()
    yield s
    s.close()


def chat_teacher(stub, tmp_path, **options):
    opts = {"base_url": stub.url, "model": MODEL, "api_key_env": None, "concurrency": 1}
    return ChatTeacher(opts | options, str(tmp_path / "answers.sqlite"))


def run(teacher, texts=TEXTS, prompt=PROMPT):
    """Each text's Scores row: (probs, class_mass, no_label)."""
    out = {}
    for idx, s in teacher.score_items(prompt, DEMOS, texts):
        out.update(
            {texts[i]: (s.probs[r], s.class_mass[r], s.no_label[r]) for r, i in enumerate(idx)}
        )
    return [out[t] for t in texts]


# --- 1. label variants ---


def test_label_variants_count_for_their_label():
    # The case: `Negative` 0.825 and `positive` 0.175 gave p = [0, 1] before.
    top = [("Negative", math.log(0.825)), ("positive", math.log(0.175))]
    np.testing.assert_allclose(prefix_mass(top, ["negative", "positive"]), [0.825, 0.175])
    top = [(" 0", math.log(0.6)), ("0", math.log(0.1)), ("1.", math.log(0.2)), (" ", -0.1)]
    np.testing.assert_allclose(prefix_mass(top, ["0", "1"]), [0.7, 0.2])
    assert normalise(' "Positive." ') == "positive" and normalise("**Yes**") == "yes"


def test_labels_that_meet_after_normalising_are_refused(stub, tmp_path):
    assert collisions(["Yes", "yes.", "no", " No"]) == [("Yes", "yes."), ("no", " No")]
    assert label_words_error(["negative", "positive"], "x") is None
    msg = label_words_error(["Spam", "spam!"], "datasets.d.labels")
    assert "datasets.d.labels" in msg and "'Spam' and 'spam!'" in msg
    bad = Prompt("t", ("Spam", "spam!"), answer="words")
    with pytest.raises(ValueError, match="cannot tell them apart"):
        run(chat_teacher(stub, tmp_path), TEXTS[:1], bad)
    assert stub.sent() == []  # refused before anything is paid


def test_written_answers_are_read_as_meant():
    r = AnswerReader(["0", "1"], ["negative", "positive"])
    read = {t: r.read(t) for t in ["1", " 0\n", "Negative", "positive.", "Answer: 1"]}
    assert read == {"1": 1, " 0\n": 0, "Negative": 0, "positive.": 1, "Answer: 1": 1}
    assert r.read("Thinking...\nIt praises the film.\n\n**Positive**") == 1  # the last line
    assert r.read("The label is negative, since it complains.") == 0
    for nothing in [None, "", "not positive", "0 or 1", "I cannot decide."]:
        assert r.read(nothing) is None
    # Digit labels asked by id: `1` is class 1 (the asked form), never class 0 by name.
    digits = AnswerReader(["0", "1"], ["1", "0"])
    assert digits.read("1") == 1 and digits.read("0") == 0


def test_a_pool_answering_something_else_stops_naming_the_tokens(stub, tmp_path):
    stub.off_label = True
    with pytest.raises(NoLabelError, match=r"2 of 2 items.*answered 'The' x2"):
        run(chat_teacher(stub, tmp_path, constraint="none"), TEXTS[:2])
    teacher = chat_teacher(stub, tmp_path, min_label_mass=0.6, min_mean_label_mass=0.6)
    mass, no_label = np.array([0.9, 0.4, 0.3, np.nan]), np.array([False, False, False, True])
    from collections import Counter

    tokens = Counter({"The": 5, "0": 2})
    with pytest.raises(LowLabelMassError, match=r"0\.53.*'The' x5, '0' x2"):
        teacher.check_label_mass(mass, no_label, TEXTS[:4], tokens)
    assert teacher.record()["low_label_mass_items"] == 2  # 0.4 and 0.3 below 0.6
    teacher.min_mean_label_mass = 0.5
    teacher.check_label_mass(np.array([0.9, 0.55]), np.array([False, False]), TEXTS[:2], tokens)


# --- 2 and 3. bad answers, the cache, no_label ---


@pytest.mark.parametrize(
    "fault", ["error200", "no_logprobs", "logprobs_null", "no_choices", "truncated", "html"]
)
def test_a_200_that_is_no_answer_is_retried_and_never_cached(stub, tmp_path, fault):
    stub.faults = [fault]
    teacher = chat_teacher(stub, tmp_path, backoff=0.01)
    got = run(teacher, TEXTS[:1])
    assert got[0][0][1] == pytest.approx(p_second(f"Text to classify: {TEXTS[0]}"))
    rec = teacher.record()
    assert rec["calls"] == 1 and rec["retries"] == 1 and len(stub.sent()) == 2
    assert len(teacher.server.cache) == 1  # the good answer only
    stub.faults = [fault]
    with pytest.raises(ServerError) as e:
        run(chat_teacher(stub, tmp_path, max_retries=0), TEXTS[1:2])
    url = f"{stub.url}/chat/completions"
    assert f"{url} failed 1 times; last answer: HTTP 200 with" in str(e.value)
    assert "answers are kept in" in str(e.value)  # an empty cache is still named
    assert len(chat_teacher(stub, tmp_path).server.cache) == 1


def test_a_bad_answer_already_in_the_cache_is_asked_again_and_counted(stub, tmp_path):
    first = chat_teacher(stub, tmp_path)
    run(first, TEXTS[:2])
    db = sqlite3.connect(tmp_path / "answers.sqlite")
    db.execute("UPDATE answers SET response = ? WHERE rowid = 1", ('{"error": {"x": 1}}',))
    db.commit()
    again = chat_teacher(stub, tmp_path)
    run(again, TEXTS[:2])
    rec = again.record()
    assert rec["bad_cached_answers_asked_again"] == 1 and rec["calls"] == 1
    assert rec["cache_hits"] == 1 and len(stub.sent()) == 3
    third = chat_teacher(stub, tmp_path)  # the replaced row is good now
    run(third, TEXTS[:2])
    assert (
        third.record()["cache_hits"] == 2 and third.record()["bad_cached_answers_asked_again"] == 0
    )


def test_a_refused_item_follows_the_no_label_policy(stub, tmp_path):
    stub.faults = ["content_filter"]
    with pytest.raises(NoLabelError, match=r"1 of 2 items.*'\(refused\)' x1"):
        run(chat_teacher(stub, tmp_path), TEXTS[:2])
    stub.faults = ["content_filter"]
    teacher = chat_teacher(stub, tmp_path, no_label="uniform")
    got = run(teacher, TEXTS[:2])
    assert [bool(g[2]) for g in got] == [True, False]  # flagged, never a class
    assert got[0][0].tolist() == [0.5, 0.5]
    rec = teacher.record()
    assert rec["no_label_items"] == 1 and rec["refusals"] == 1
    # The first run cached item 2's answer, never the refusal: item 1 is asked again.
    assert rec["calls"] == 1 and rec["cache_hits"] == 1 and len(teacher.server.cache) == 1


def test_the_cache_key_does_not_depend_on_models_answering(stub, tmp_path):
    stub.models_down = True
    down = chat_teacher(stub, tmp_path)
    assert down.record()["model"] == {"id": MODEL, "revision": None, "checked": False}
    run(down, TEXTS[:3])
    stub.models_down = False
    up = chat_teacher(stub, tmp_path)
    run(up, TEXTS[:3])
    assert up.record()["calls"] == 0 and up.record()["cache_hits"] == 3
    key = request_key(
        f"{stub.url}/chat/completions", {"id": MODEL, "revision": None}, stub.sent()[0]
    )
    assert key in up.server.cache.get_many([key])


def test_a_damaged_cache_names_the_file_and_the_way_out(tmp_path):
    bad = tmp_path / "answers.sqlite"
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.raises(CacheError, match=rf"{bad} is damaged.*mv {bad} {bad}\.damaged"):
        AnswerCache(bad)
    empty = AnswerCache(tmp_path / "new.sqlite")
    assert len(empty) == 0 and bool(empty)


def test_rate_limit_waits_count_wall_time_once_for_the_whole_job():
    lim = RateLimiter()
    lim.pause(0.4)
    threads = [threading.Thread(target=lim.acquire, args=(1,)) for _ in range(3)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - t0
    assert 0.3 <= lim.waited <= wall + 0.01  # three threads waited together: counted once


# --- 4. secrets ---


def test_key_variables_and_urls_that_hold_a_secret_are_refused_without_echo():
    for value in [
        "sk-proj-Abc123secret",
        "gsk_abc123secret",
        "hf_abcdef",
        "ABCDEF0123456789ABCDEF",
    ]:
        msg = key_env_error(value)
        assert msg and "looks like a key" in msg and value not in msg
    assert "api key" not in key_env_error("api key")
    for ok in ["OPENAI_API_KEY", "GROQ_API_KEY", "KEY", None]:
        assert key_env_error(ok) is None
    msg = base_url_error("http://alice:PASS123@host:8000/v1")
    assert msg and "PASS123" not in msg and "alice" not in msg
    assert base_url_error("http://127.0.0.1:8000/v1") is None
    with pytest.raises(ValueError, match="looks like a key"):
        Server("http://h/v1", "sk-live-123")
    assert (
        redact("auth Bearer abc.def and k=SECRETKEY", ["SECRETKEY"]) == "auth Bearer *** and k=***"
    )


CANARY = "sk-canary-7f3a9b2c41d8e6f0"


def test_the_key_is_written_nowhere_whatever_the_server_does(stub, tmp_path, monkeypatch):
    """A canary key through a server that echoes it in every way: no file holds it after."""
    monkeypatch.setenv("LABELRISK_CANARY_KEY", CANARY)
    logfile = tmp_path / "logs" / "job.log"
    logfile.parent.mkdir()
    handler = logging.FileHandler(logfile)
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    errors = []
    try:
        for faults in [["echo401"], ["echo500", "error200", "html"], ["echo500"] * 3]:
            stub.faults = list(faults)
            try:
                teacher = chat_teacher(
                    stub, tmp_path, api_key_env="LABELRISK_CANARY_KEY", backoff=0.01, max_retries=2
                )
                run(teacher, TEXTS[:2])
                errors.append(str(teacher.record()))
            except ServerError as e:
                errors.append(f"{e!r} {e.body}")
    finally:
        root.removeHandler(handler)
        handler.close()
    (tmp_path / "logs" / "errors.txt").write_text("\n".join(errors))
    assert stub.requests and all(
        h == f"Bearer {CANARY}" for h in stub.auth_headers
    )  # the key was sent
    assert "internal error for Bearer ***" in logfile.read_text()  # logged, redacted
    assert "Bearer ***" in (tmp_path / "logs" / "errors.txt").read_text()
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(written) >= 3  # the log, the errors, the cache (and its WAL)
    for p in written:
        assert CANARY.encode() not in p.read_bytes(), p
        assert CANARY[3:15].encode() not in p.read_bytes(), p


# --- 5 and 6. answer-only and reasoning models ---


def drawn(text: str, j: int, prompt=WORDS) -> int:
    """The stub's j-th written answer for a text (tests/openai_stub.Stub.written)."""
    return drawn_with(text, sample_seed(prompt.messages(DEMOS, text), j))


def drawn_with(text: str, seed: int) -> int:
    h = int(hashlib.sha256(f"Text to classify: {text}|{seed}".encode()).hexdigest()[:8], 16)
    return int((h % 10000) / 10000 < p_second(f"Text to classify: {text}"))


@pytest.mark.parametrize("style", ["{a}", " {A}.", "Answer: {a}", "Hm.\n\n**{A}**"])
def test_an_answer_only_teacher_counts_k_written_answers(stub, tmp_path, style):
    stub.style = style
    k = 4
    teacher = chat_teacher(
        stub, tmp_path, logprobs=False, samples=k, temperature=0.7, constraint="none"
    )
    got = run(teacher, TEXTS[:3], WORDS)
    for text, (probs, mass, none) in zip(TEXTS[:3], got, strict=True):
        ones = sum(drawn(text, j) for j in range(k))
        assert probs.tolist() == [(k - ones) / k, ones / k] and mass == 1.0 and not none
    bodies = stub.sent()
    seeds = [sample_seed(bodies[0]["messages"], j) for j in range(k)]
    assert len(bodies) == 3 * k and [b["seed"] for b in bodies[:k]] == seeds
    assert len({b["seed"] for b in bodies}) == 12  # no two samples of the pool share one
    assert all("logprobs" not in b and b["temperature"] == 0.7 for b in bodies)
    assert bodies[0]["max_tokens"] == 16
    rec = teacher.record()
    assert rec["calls"] == 12 and rec["answers"] == 12 and rec.get("unparsed_answers", 0) == 0
    assert rec["completion_tokens"] == 12 * 3
    again = chat_teacher(
        stub, tmp_path, logprobs=False, samples=k, temperature=0.7, constraint="none"
    )
    run(again, TEXTS[:3], WORDS)
    assert again.record()["cache_hits"] == 12 and len(stub.sent()) == 12


def test_tied_answers_go_to_the_class_answered_first_not_the_first_class():
    counts = np.array([[2, 2], [2, 2], [1, 3], [0, 0], [2, 2]])
    first = np.array([[1, 0], [0, 3], [0, 1], [4, 4], [3, 2]])
    assert tied_to_first(counts, first).tolist() == [1, 0, 1, 0, 1]
    three = np.array([[2, 1, 2]])
    assert tied_to_first(three, np.array([[2, 0, 1]])).tolist() == [2]


def test_an_even_k_teacher_labels_its_ties_without_favouring_a_class(stub, tmp_path):
    k = 4
    teacher = chat_teacher(
        stub, tmp_path, logprobs=False, samples=k, temperature=0.7, constraint="none"
    )
    texts = [f"Review number {i}: it was fine, I suppose." for i in range(40)]
    preds, ties = {}, []
    for idx, s in teacher.score_items(WORDS, DEMOS, texts):
        for r, i in enumerate(idx):
            answers = [drawn(texts[i], j) for j in range(k)]
            preds[i] = int(s.pred[r])
            if sum(answers) * 2 == k:  # two and two: the first answer decides
                ties.append(i)
                assert preds[i] == answers[0]
            else:
                assert preds[i] == int(sum(answers) * 2 > k)
    assert ties and {preds[i] for i in ties} == {0, 1}
    # the annotation table carries these labels, also when read back from a journal
    items = pd.DataFrame({"id": [f"i{i}" for i in range(40)], "text": texts})
    journal = tmp_path / "journal.jsonl"
    for _ in range(2):
        table = annotate(teacher, items, DEMOS, WORDS, journal, 64, 1024, 16)
        assert table.pred.tolist() == [preds[i] for i in range(40)]


def test_unparseable_answers_are_counted_and_never_a_class(stub, tmp_path):
    stub.unparseable_every = 1  # every answer: "I cannot decide."
    opts = dict(logprobs=False, samples=2, temperature=1.0, constraint="none")
    with pytest.raises(NoLabelError, match=r"none of the 2 written answers.*'i cannot decide' x"):
        run(chat_teacher(stub, tmp_path, **opts), TEXTS[:2])
    stub.n_written = 0
    stub.unparseable_every = 2  # every second answer
    teacher = chat_teacher(stub, tmp_path / "b", **opts, min_mean_label_mass=0.4)
    got = run(teacher, TEXTS[:2])
    for text, (probs, mass, none) in zip(TEXTS[:2], got, strict=True):
        one = drawn(text, 0, PROMPT)  # sample 0 parsed, seed 1 unparseable
        assert probs.tolist() == [1.0 - one, float(one)] and mass == 0.5 and not none
    rec = teacher.record()
    assert rec["unparsed_answers"] == 2 and rec["answers"] == 4 and rec["no_label_items"] == 0
    stub.n_written = 0
    low = chat_teacher(stub, tmp_path / "c", **opts)  # mean label mass 0.5 ... passes 0.5
    run(low, TEXTS[:2])
    stub.n_written = 0
    with pytest.raises(LowLabelMassError, match="0.50.*min_mean_label_mass"):
        run(chat_teacher(stub, tmp_path / "d", **opts, min_mean_label_mass=0.6), TEXTS[:2])


def test_a_server_refusing_logprobs_says_what_to_set(stub, tmp_path):
    stub.faults = ["refuse_logprobs"]
    with pytest.raises(
        ServerError,
        match=r"HTTP 403.*\nthe server refuses log-probabilities: set openai.logprobs: false",
    ):
        run(chat_teacher(stub, tmp_path), TEXTS[:1])


def test_a_reasoning_model_gets_its_effort_a_budget_and_no_temperature(stub, tmp_path):
    stub.style = "The review is glowing, so the answer is clear.\n\nAnswer: {a}"
    stub.reasoning_tokens = 200
    price = {"prompt": 1.0, "completion": 10.0}
    teacher = chat_teacher(
        stub,
        tmp_path,
        logprobs=False,
        samples=1,
        temperature=None,
        reasoning_effort="low",
        max_answer_tokens=2048,
        constraint="none",
        price=price,
    )
    got = run(teacher, TEXTS[:2])
    for text, (probs, _, _) in zip(TEXTS[:2], got, strict=True):
        # One answer, sent without a seed (the stub's 0): one-hot.
        assert probs.argmax() == drawn_with(text, 0) and probs.max() == 1.0
    body = stub.sent()[0]
    assert body["reasoning_effort"] == "low" and body["max_completion_tokens"] == 2048
    assert "temperature" not in body and "seed" not in body and "max_tokens" not in body
    rec = teacher.record()
    assert rec["reasoning_tokens"] == 400 and rec["completion_tokens"] == 2 * 203
    assert rec["cost"] == pytest.approx((rec["prompt_tokens"] * 1.0 + 406 * 10.0) / 1e6)
    stub.faults = ["refuse_temperature"]
    with pytest.raises(ServerError, match="set openai.temperature: null"):
        run(
            chat_teacher(
                stub, tmp_path, logprobs=False, samples=1, temperature=0.7, constraint="none"
            ),
            TEXTS[3:4],
        )


def test_config_checks_name_the_key_and_never_the_secret():
    config = {
        "datasets": {"d": {"labels": ["Spam", "spam."]}, "e": {"labels": [False, True]}},
        "teachers": {
            "a": {"backend": "openai_chat", "openai": {"api_key_env": "gsk_live0123secret"}},
            "b": {
                "backend": "openai",
                "openai": {"base_url": "https://u:pw9@h/v1", "logprobs": False},
            },
            "c": {
                "backend": "openai_chat",
                "openai": {"logprobs": False, "samples": 3, "temperature": 0},
            },
            "t": {"openai": {"api_key_env": "sk-ignored-not-a-server"}},
        },
    }
    errors = server_teacher_errors(config)
    assert [e.split(" ")[0] for e in errors] == [
        "teachers.a.openai.api_key_env",
        "teachers.b.openai.base_url",
        "teachers.b.openai.logprobs:",
        "teachers.c.openai:",
        "datasets.d.labels:",
    ]
    assert not any(s in e for e in errors for s in ("gsk_live0123secret", "pw9", "u:"))


def test_a_completions_answer_without_logprobs_is_no_answer():
    from labelrisk.teachers.openai_backend import completion_problem

    good = {"choices": [{"logprobs": {"top_logprobs": [{"0": -0.1, "1": -2.0}]}}]}
    assert completion_problem(good) is None
    for bad in [{"choices": []}, {"choices": [{"logprobs": None}]}, {"choices": [{"text": "1"}]}]:
        assert completion_problem(bad) == "no log-probabilities"
