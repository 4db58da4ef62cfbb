"""A chat teacher through an OpenAI-compatible batch API (`/v1/files` + `/v1/batches`): the
same requests as `openai_chat`, sent as one asynchronous batch per job at the provider's batch
price, answers read by the same code and kept in the same answer cache.

The requests the answer cache lacks are written to a JSON-lines file, uploaded and submitted as
one batch; the batch id is kept in a state file beside the answer cache
(`<cache>.batches/<hash of the requests>.json`), outside the outputs, so a killed or restarted
job polls the batch it already paid for instead of sending it again. Every answer of a finished
batch is stored in the cache under the key a direct call would have, then the chat teacher
scores from the cache: a direct chat-completions call during that step is an error, so nothing
is paid twice. A batch that expires keeps its finished answers (cached); a re-run submits only
the rest. Polling stops after `batch.timeout_hours`, saying where the batch stands.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from pathlib import Path

from labelrisk.teachers.backends import batch_price
from labelrisk.teachers.cache import request_key
from labelrisk.teachers.chat_backend import ChatTeacher
from labelrisk.teachers.served import constraint_body
from labelrisk.teachers.server import ServerError

log = logging.getLogger(__name__)

ENDPOINT = "chat/completions"
DONE = {"completed", "expired", "failed", "cancelled"}
DEFAULTS = {"poll_seconds": 30.0, "timeout_hours": 24.0, "completion_window": "24h"}
DEFAULTS |= {"discount": 0.5}


class BatchError(ServerError):
    """A batch failed, expired or is still running when the job stops waiting."""


class BatchChatTeacher(ChatTeacher):
    def __init__(self, options: dict, batch: dict | None, cache: str | None, sleep=time.sleep):
        if not cache:
            raise ValueError("a batch teacher needs the answer cache (its answers live there)")
        super().__init__(options, cache)
        self.batch = DEFAULTS | dict(batch or {})
        # Every answer of this teacher is priced at the batch rate (the `.json`'s `server`).
        self.price = batch_price(self.price, self.batch["discount"])
        self.sleep = sleep
        self.sent = {"batches": [], "requests": 0, "prompt_tokens": 0, "completion_tokens": 0}

    def score_items(self, prompt, demos, texts, max_tokens=2048, max_batch=32, progress=None):
        answers = prompt.answers
        ids = self.answer_token_ids(answers) if self.constraint == "logit_bias" else None
        constraint = constraint_body(self.constraint, answers, ids)
        bodies = [self.body(prompt, prompt.messages(demos, t), constraint) for t in texts]
        self.fill_cache(bodies)
        direct = self.server.request
        self.server.request = self._no_direct_call(direct)
        try:
            yield from super().score_items(prompt, demos, texts, max_tokens, max_batch, progress)
        finally:
            self.server.request = direct

    def _no_direct_call(self, direct):
        def request(path, body=None, retry=True):
            if path == ENDPOINT:
                raise BatchError(
                    "a chat request missed the batch (its answer is not in the cache); "
                    "nothing was sent"
                )
            return direct(path, body, retry)

        return request

    def fill_cache(self, bodies: list[dict]) -> None:
        """Send the requests the cache lacks as one batch (or resume it), cache its answers."""
        url = self.server.url(ENDPOINT)
        keys = [request_key(url, self.model_id, b) for b in bodies]
        cached = self.server.cache.get_many(keys)
        todo = {k: b for k, b in zip(keys, bodies, strict=True) if k not in cached}
        if not todo:
            return
        state = self.state_file(sorted(todo))
        batch_id = json.loads(state.read_text())["id"] if state.exists() else None
        if batch_id:
            log.info(
                "resuming batch %s (%d requests): polling, nothing is sent", batch_id, len(todo)
            )
        else:
            batch_id = self.submit(todo)
            state.parent.mkdir(parents=True, exist_ok=True)
            state.write_text(json.dumps({"id": batch_id, "requests": len(todo)}))
        self.sent["batches"].append(batch_id)
        batch = self.wait(batch_id, state)
        got = self.store(batch, todo, url)
        state.unlink()
        if batch["status"] != "completed" or got < len(todo):
            raise BatchError(
                f"batch {batch_id} ended {batch['status']} with {got} of {len(todo)} answers "
                f"({counts(batch)}{errors(batch)}); they are cached: a re-run submits only "
                f"the other {len(todo) - got} as a new batch"
            )

    def state_file(self, keys: list[str]) -> Path:
        digest = hashlib.sha256("".join(keys).encode()).hexdigest()[:16]
        cache = self.server.cache.path
        return cache.parent / f"{cache.name}.batches" / f"{digest}.json"

    def submit(self, todo: dict[str, dict]) -> str:
        lines = [
            {"custom_id": k, "method": "POST", "url": f"/v1/{ENDPOINT}", "body": b}
            for k, b in todo.items()
        ]
        data = "".join(json.dumps(line) + "\n" for line in lines).encode()
        r = self.server.session.post(
            self.server.url("files"),
            data={"purpose": "batch"},
            files={"file": ("requests.jsonl", data, "application/jsonl")},
            timeout=self.server.timeout,
        )
        if r.status_code != 200:
            raise BatchError(f"{self.server.url('files')} answered HTTP {r.status_code}")
        file_id = r.json()["id"]
        body = {"input_file_id": file_id, "endpoint": f"/v1/{ENDPOINT}"}
        body["completion_window"] = self.batch["completion_window"]
        batch = self.server.request("batches", body, retry=False)  # a retry could pay twice
        log.info("submitted batch %s: %d requests (file %s)", batch["id"], len(lines), file_id)
        return batch["id"]

    def wait(self, batch_id: str, state: Path) -> dict:
        """Poll until the batch ends or `timeout_hours` pass (then say where it stands)."""
        deadline = time.monotonic() + 3600 * float(self.batch["timeout_hours"])
        while True:
            batch = self.server.request(f"batches/{batch_id}")
            if batch["status"] in DONE:
                log.info("batch %s %s: %s", batch_id, batch["status"], counts(batch))
                return batch
            if time.monotonic() >= deadline:
                raise BatchError(
                    f"batch {batch_id} is still {batch['status']} after "
                    f"{self.batch['timeout_hours']:g} h (batch.timeout_hours): {counts(batch)}. "
                    f"Its id is kept in {state}: a re-run polls it again, nothing is sent twice"
                )
            log.info("batch %s %s: %s", batch_id, batch["status"], counts(batch))
            self.sleep(float(self.batch["poll_seconds"]))

    def store(self, batch: dict, todo: dict[str, dict], url: str) -> int:
        """Cache every successful answer of the batch's output file; how many there were."""
        if not batch.get("output_file_id"):
            return 0
        r = self.server.session.get(
            self.server.url(f"files/{batch['output_file_id']}/content"), timeout=self.server.timeout
        )
        if r.status_code != 200:
            raise BatchError(f"batch {batch['id']}: its output file answered HTTP {r.status_code}")
        got = 0
        for line in r.text.splitlines():
            row = json.loads(line) if line.strip() else {}
            response = (row.get("response") or {}).get("body")
            key = row.get("custom_id")
            ok = (row.get("response") or {}).get("status_code") == 200
            if key not in todo or not ok or not (response or {}).get("choices"):
                continue  # a failed request is not cached: a re-run asks it again
            self.server.cache.put(key, url, todo[key], response)
            used = response.get("usage") or {}
            self.sent["requests"] += 1
            self.sent["prompt_tokens"] += int(used.get("prompt_tokens") or 0)
            self.sent["completion_tokens"] += int(used.get("completion_tokens") or 0)
            got += 1
        return got

    def record(self) -> dict:
        """The chat teacher's record at the batch price (its answers all read from the cache)
        and what this job's batches sent and cost."""
        price, cost = self.price, None
        if price:
            cost = (
                self.sent["prompt_tokens"] * price["prompt"]
                + self.sent["completion_tokens"] * price["completion"]
            ) / 1e6
        return super().record() | {"batch": {**self.sent, "cost": cost}}


def errors(batch: dict) -> str:
    """The batch's own error messages (a batch that failed validation), if any."""
    data = (batch.get("errors") or {}).get("data") or []
    return "".join(f"; {e.get('message', e)}" for e in data[:3])


def counts(batch: dict) -> str:
    c = batch.get("request_counts") or {}
    return f"{c.get('completed', 0)} of {c.get('total', '?')} done, {c.get('failed', 0)} failed"
