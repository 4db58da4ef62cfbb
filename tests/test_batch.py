"""The batch teacher (backend openai_batch) against a batch API on 127.0.0.1 that answers
asynchronously (tests/batch_stub): one batch per job, answers cached as a direct call's, a
restarted job polling the batch it paid for, an expired batch, a timeout saying where it stands,
and the cost at the batch price."""

from __future__ import annotations

import json

import numpy as np
import pytest
from batch_stub import BatchStub
from openai_stub import MODEL, p_second

from labelrisk.teachers.batch_backend import BatchChatTeacher, BatchError
from labelrisk.teachers.chat_backend import ChatTeacher
from labelrisk.teachers.prompt import Prompt

pytestmark = pytest.mark.unit

PROMPT = Prompt("Classify reviews.", ("negative", "positive"))
DEMOS = [("Awful.", 0), ("Lovely.", 1)]
TEXTS = [f"review number {i}" for i in range(5)]
OPTIONS = {"model": MODEL, "api_key_env": None, "price": {"prompt": 2.0, "completion": 8.0}}


@pytest.fixture
def stub():
    s = BatchStub(step=2)
    yield s
    s.close()


def teacher(stub, tmp_path, **batch):
    opts = OPTIONS | {"base_url": stub.url}
    batch = {"poll_seconds": 0, **batch}
    return BatchChatTeacher(opts, batch, str(tmp_path / "answers.sqlite"), sleep=lambda s: None)


def scores(t) -> np.ndarray:
    out = {}
    for idx, s in t.score_items(PROMPT, DEMOS, TEXTS):
        out.update({TEXTS[i]: s.probs[r] for r, i in enumerate(idx)})
    return np.stack([out[x] for x in TEXTS])


def expected() -> np.ndarray:
    p = np.array([p_second(f"Text to classify: {x}") for x in TEXTS])  # the stub's answer
    return np.stack([1 - p, p], axis=1)


def test_one_batch_per_job_answers_cached_as_a_direct_call_would_be(stub, tmp_path):
    t = teacher(stub, tmp_path)
    np.testing.assert_allclose(scores(t), expected(), atol=1e-9)
    assert list(stub.batches) == ["batch_0"] and len(stub.batches["batch_0"]["lines"]) == 5
    # validating, then 2, 4 and 5 requests done: four polls.
    assert stub.polls == 4
    record = t.record()
    batch = record["batch"]
    assert batch["batches"] == ["batch_0"] and batch["requests"] == 5
    assert record["price_per_million_tokens"] == {"prompt": 1.0, "completion": 4.0}
    want = (batch["prompt_tokens"] * 1.0 + 5 * 4.0) / 1e6
    assert batch["completion_tokens"] == 5 and batch["cost"] == pytest.approx(want)
    assert record["all_answers"]["cost"] == pytest.approx(want)  # every answer, batch rate
    assert record["calls"] == 0 and record["cache_hits"] == 5  # scored from the cache
    # A direct chat teacher on the same cache finds every answer: nothing is asked again.
    chat = ChatTeacher(OPTIONS | {"base_url": stub.url}, str(tmp_path / "answers.sqlite"))
    got = np.concatenate([s.probs for _, s in chat.score_items(PROMPT, DEMOS, TEXTS)])
    np.testing.assert_allclose(got, expected(), atol=1e-9)
    assert chat.record()["calls"] == 0
    # A re-run submits nothing.
    scores(teacher(stub, tmp_path))
    assert len(stub.batches) == 1 and len(stub.files) == 2  # the input and the output file


def test_a_restarted_job_polls_the_batch_it_paid_for(stub, tmp_path):
    stub.hold = True  # the provider is slow
    with pytest.raises(BatchError) as err:
        scores(teacher(stub, tmp_path, timeout_hours=1e-4))
    msg = str(err.value)
    assert "batch batch_0 is still in_progress after 0.0001 h (batch.timeout_hours)" in msg
    assert "0 of 5 done, 0 failed" in msg and "a re-run polls it again" in msg
    state = list((tmp_path / "answers.sqlite.batches").glob("*.json"))
    assert [json.loads(p.read_text()) for p in state] == [{"id": "batch_0", "requests": 5}]
    stub.hold = False
    np.testing.assert_allclose(scores(teacher(stub, tmp_path)), expected(), atol=1e-9)
    assert list(stub.batches) == ["batch_0"]  # resumed, not submitted again
    assert not list((tmp_path / "answers.sqlite.batches").glob("*.json"))


def test_an_expired_batch_keeps_its_answers_and_a_rerun_sends_only_the_rest(stub, tmp_path):
    stub.expire_after = 2
    with pytest.raises(BatchError, match=r"batch batch_0 ended expired with 2 of 5 answers"):
        scores(teacher(stub, tmp_path))
    stub.expire_after = None
    np.testing.assert_allclose(scores(teacher(stub, tmp_path)), expected(), atol=1e-9)
    assert len(stub.batches["batch_1"]["lines"]) == 3  # only what the first did not answer


def test_refused_requests_are_not_cached_and_asked_again(stub, tmp_path):
    stub.refused = 1
    with pytest.raises(BatchError, match=r"ended completed with 4 of 5 answers"):
        scores(teacher(stub, tmp_path))
    stub.refused = 0
    np.testing.assert_allclose(scores(teacher(stub, tmp_path)), expected(), atol=1e-9)
    assert len(stub.batches["batch_1"]["lines"]) == 1


def test_the_plan_prices_a_batch_teacher_at_the_batch_rate():
    from labelrisk.artefacts.plan import teacher_cost

    entry = {"backend": "openai_batch", "openai": {"price": {"prompt": 2.0, "completion": 8.0}}}
    got = teacher_cost(entry | {"batch": {"discount": 0.5}}, 1000, 10**6, {}, False)
    assert got["api_cost"] == pytest.approx((10**6 * 1.0 + 1000 * 4.0) / 1e6)
    chat = teacher_cost(entry | {"backend": "openai_chat"}, 1000, 10**6, {}, False)
    assert chat["api_cost"] == pytest.approx((10**6 * 2.0 + 1000 * 8.0) / 1e6)
