"""Talking to an OpenAI-compatible server: retries, rate limits, the answer cache, usage.

Every request goes through `Server.post`: it waits for the teacher's rate limits, retries
refused connections, time-outs, 429 and 5xx with exponential backoff (`Retry-After` honoured
on 429 and 503, and then every thread waits), and gives up after `max_retries` with the
server's own message. A 200 that is no answer (not JSON, HTML, `{"error": ...}`, or a body the
teacher cannot read: no `choices`, no log-probabilities) is retried like a 5xx and reported
with its URL, status and first 200 characters. Every text from the server is redacted of the
key before it is logged or raised (labelrisk.teachers.keys).

`Server.answers` sends a batch of requests `concurrency` at a time,
taking what the cache already holds and storing every answer the moment it arrives and
parses, so a job that stops (a failing server, a kill) loses no answer it received and no bad
answer is ever read back (one already in the cache is skipped, asked again and counted). A
per-item refusal (`finish_reason: content_filter`) is returned, not cached: the teacher treats
it as an item without a label. The API key is read from an
environment variable and sent as a header only.
"""

from __future__ import annotations

import email.utils
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

import requests

from labelrisk.teachers.cache import AnswerCache, request_key
from labelrisk.teachers.keys import base_url_error, key_env_error, redact
from labelrisk.teachers.ratelimit import RateLimiter

log = logging.getLogger(__name__)

# Answers worth waiting for: time-out, conflict, rate limit, server errors.
RETRY_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})
# Answers whose Retry-After (or backoff) pauses every request of the teacher, not one thread.
PAUSE_STATUS = frozenset({429, 503})


class ServerError(RuntimeError):
    """The server refused a request for good, or kept failing (`status` and `body`, redacted,
    of its last answer where there was one)."""

    def __init__(self, message: str, status: int | None = None, body: str = ""):
        super().__init__(message)
        self.status, self.body = status, body


# A check of a parsed 200 answer: None when usable, else what is wrong with it.
Check = Callable[[dict], "str | None"]


def body_problem(data) -> str | None:
    """What makes a 200 body no answer at all, or None."""
    if not isinstance(data, dict):
        return "a body that is not a JSON object"
    if data.get("error") is not None:
        return "an error object"
    return None


def refused(response: dict) -> bool:
    """A per-item refusal: the provider's content filter, or a `refusal` message."""
    try:
        choice = response["choices"][0]
    except (KeyError, IndexError, TypeError):
        return False
    message = choice.get("message") or {}
    return choice.get("finish_reason") == "content_filter" or bool(message.get("refusal"))


def retry_after(headers) -> float | None:
    """Seconds a `Retry-After` header asks for (a number or an HTTP date), or None."""
    value = headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def estimated_tokens(body: dict) -> int:
    """Tokens a request may use, before it is sent: about 4 characters of JSON a token, plus
    the answer; corrected by the usage the server reports."""
    return len(json.dumps(body)) // 4 + int(body.get("max_tokens") or 1)


@dataclass
class Usage:
    """What a job's requests cost: calls made (and retried), cache hits, tokens."""

    calls: int = 0
    retries: int = 0
    cache_hits: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    # Tokens of every answer used, cached or not: what the annotation cost when first made.
    all_prompt_tokens: int = 0
    all_completion_tokens: int = 0
    retry_wait_s: float = 0.0
    reasoning_tokens: int = 0  # part of the completion tokens (and their cost), where reported
    bad_cached: int = 0  # unusable answers found in the cache, asked again
    refusals: int = 0  # answers refused by the provider (content filter), never cached
    models: set = field(default_factory=set)  # model and fingerprint each answer reports
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def answered(self, response: dict, cached: bool) -> None:
        used = response.get("usage") or {}
        pt, ct = int(used.get("prompt_tokens") or 0), int(used.get("completion_tokens") or 0)
        rt = int((used.get("completion_tokens_details") or {}).get("reasoning_tokens") or 0)
        with self.lock:
            self.refusals += refused(response)
            if cached:
                self.cache_hits += 1
            else:
                self.calls += 1
                self.prompt_tokens += pt
                self.completion_tokens += ct
                self.reasoning_tokens += rt
            self.all_prompt_tokens += pt
            self.all_completion_tokens += ct
            reported = (response.get("model"), response.get("system_fingerprint"))
            self.models.add(" ".join(str(x) for x in reported if x))

    def record(self, price: dict | None, rate_wait_s: float = 0.0) -> dict:
        """The `.json` entry: counts, tokens and, with a price per million tokens, the cost."""

        def cost(pt, ct):
            if not price or price.get("prompt") is None or price.get("completion") is None:
                return None
            return (pt * price["prompt"] + ct * price["completion"]) / 1e6

        return {
            "calls": self.calls,
            "cache_hits": self.cache_hits,
            "retries": self.retries,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "reasoning_tokens": self.reasoning_tokens,
            "cost": cost(self.prompt_tokens, self.completion_tokens),
            "all_answers": {
                "prompt_tokens": self.all_prompt_tokens,
                "completion_tokens": self.all_completion_tokens,
                "cost": cost(self.all_prompt_tokens, self.all_completion_tokens),
            },
            "price_per_million_tokens": price,
            "rate_limit_wait_s": round(rate_wait_s, 1),
            "retry_wait_s": round(self.retry_wait_s, 1),
            "reported_models": sorted(m for m in self.models if m),
            "bad_cached_answers_asked_again": self.bad_cached,
            "refusals": self.refusals,
        }


class Server:
    def __init__(
        self,
        base_url: str,
        api_key_env: str | None = "OPENAI_API_KEY",
        *,
        cache: str | None = None,
        concurrency: int = 4,
        requests_per_minute: int | None = None,
        tokens_per_minute: int | None = None,
        max_retries: int = 5,
        backoff: float = 1.0,
        max_wait: float = 600.0,
        timeout: float = 120.0,
        sleep=time.sleep,
    ):
        for problem in (base_url_error(base_url), key_env_error(api_key_env)):
            if problem:
                raise ValueError(problem)
        self.base_url = base_url.rstrip("/")
        self.concurrency = concurrency
        self.max_retries, self.backoff, self.max_wait = max_retries, backoff, max_wait
        self.timeout = timeout
        self.sleep = sleep
        self.limiter = RateLimiter(requests_per_minute, tokens_per_minute, sleep=sleep)
        self.cache = AnswerCache(cache) if cache else None
        self.usage = Usage()
        self.session = requests.Session()
        self.secrets: list[str] = []
        if api_key_env:
            key = os.environ.get(api_key_env)
            if not key:
                raise RuntimeError(f"environment variable {api_key_env} (the API key) is not set")
            self.session.headers["Authorization"] = f"Bearer {key}"
            self.secrets.append(key)

    def url(self, path: str) -> str:
        """`models` -> base_url/models; `/tokenize` -> the server root's /tokenize."""
        if path.startswith("/"):
            root = self.base_url[: -len("/v1")] if self.base_url.endswith("/v1") else self.base_url
            return root + path
        return f"{self.base_url}/{path}"

    def redact(self, text: str) -> str:
        return redact(text, self.secrets)

    def request(
        self, path: str, body: dict | None = None, retry: bool = True, check: Check | None = None
    ) -> dict:
        """POST `body` (GET when None) and return the JSON answer, retrying as the module says;
        `check` says what a 200 answer lacks (then retried), None when it is usable."""
        url = self.url(path)
        tokens = estimated_tokens(body) if body is not None else 0
        last, status, text = "", None, ""
        for attempt in range(self.max_retries + 1 if retry else 1):
            entry = self.limiter.acquire(tokens) if body is not None else None
            wait, pause = None, False
            try:
                if body is None:
                    r = self.session.get(url, timeout=self.timeout)
                else:
                    r = self.session.post(url, json=body, timeout=self.timeout)
            except requests.RequestException as e:  # refused, reset, timed out
                last = self.redact(f"{type(e).__name__}: {e}")
            else:
                status, text = r.status_code, self.redact(r.text[:500])
                if r.status_code == 200:
                    try:
                        data = r.json()
                    except ValueError:
                        data = None
                    problem = body_problem(data)
                    if problem is None and check is not None and not refused(data):
                        problem = check(data)
                    if problem is None:
                        used = (data.get("usage") or {}).get("total_tokens")
                        if entry is not None and used:
                            self.limiter.settle(entry, int(used))
                        return data
                    last = f"HTTP 200 with {problem}: {self.redact(r.text[:200])!r}"
                else:
                    last = f"HTTP {r.status_code}: {text}"
                if r.status_code not in RETRY_STATUS | {200}:
                    raise ServerError(f"{url} answered {last}", r.status_code, text)
                wait, pause = retry_after(r.headers), r.status_code in PAUSE_STATUS
            if attempt == self.max_retries or not retry:
                break
            wait = self.backoff * 2**attempt if wait is None else wait
            if wait > self.max_wait:
                raise ServerError(
                    f"{url} asks to wait {wait:.0f} s ({last}), more than openai.max_wait "
                    f"({self.max_wait:g} s)"
                )
            with self.usage.lock:
                self.usage.retries += 1
                self.usage.retry_wait_s += wait
            log.warning(
                "%s: %s; retry %d of %d in %.1f s", url, last, attempt + 1, self.max_retries, wait
            )
            if pause:
                self.limiter.pause(wait)  # every request of this teacher waits, not only this
            else:
                self.sleep(wait)
        raise ServerError(f"{url} failed {attempt + 1} times; last answer: {last}", status, text)

    def model_identity(self, model: str, revision: str | None = None) -> dict:
        """The model as the server reports it (`/models`: id, and where vLLM names them, the
        weights' path and parent), for the record. A server that lists other models is an
        error; one whose `/models` does not answer is a warning (hosted APIs may hide it), and
        the record says `checked: false`. Never part of the cache key (`cache_model`)."""
        try:
            listing = self.request("models")
        except ServerError as e:
            log.warning("%s lists no models (%s): model %r not checked", self, e, model)
            return {"id": model, "revision": revision, "checked": False}
        served = {m.get("id"): m for m in listing.get("data", [])}
        if model not in served:
            raise ServerError(
                f"{self.url('models')} serves {sorted(map(str, served))}, not {model!r} "
                f"(the teacher's openai.model)"
            )
        entry = served[model]
        out = {"id": model, "revision": revision}
        out |= {k: entry[k] for k in ("root", "parent") if entry.get(k)}
        return out

    def _usable(self, response, check: Check | None) -> bool:
        if body_problem(response) is not None or refused(response):
            return False
        return check is None or check(response) is None

    def answers(
        self, path: str, bodies: Sequence[dict], model: dict, check: Check | None = None
    ) -> list[dict]:
        """The answer to each request body: from the cache, else sent (and cached once it
        passes `check`; a refusal is returned uncached). `model`, part of every key, is the
        configured model and revision (`cache_model`), never what `/models` said."""
        url = self.url(path)
        model = {"id": model.get("id"), "revision": model.get("revision")}
        keys = [request_key(url, model, b) for b in bodies]
        out: list[dict | None] = [None] * len(bodies)
        bad: set[int] = set()
        if self.cache is not None:
            cached = self.cache.get_many(keys)
            for i, k in enumerate(keys):
                if k not in cached:
                    continue
                if not self._usable(cached[k], check):
                    bad.add(i)
                    continue
                out[i] = cached[k]
                self.usage.answered(cached[k], cached=True)
        todo = [i for i, r in enumerate(out) if r is None]
        if bad:
            with self.usage.lock:
                self.usage.bad_cached += len(bad)
            log.warning(
                "%s: %d unusable answers in the cache %s are asked again",
                url,
                len(bad),
                self.cache.path,
            )
        failure = None
        with ThreadPoolExecutor(self.concurrency) as pool:
            futures = {pool.submit(self.request, path, bodies[i], True, check): i for i in todo}
            for f in as_completed(futures):
                i = futures[f]
                if f.cancelled():
                    continue
                if f.exception() is not None:
                    failure = failure or f.exception()
                    for g in futures:
                        g.cancel()  # what has not started stays unsent; the rest is kept
                    continue
                out[i] = f.result()
                if self.cache is not None and not refused(out[i]):
                    self.cache.put(keys[i], url, bodies[i], out[i], replace=i in bad)
                self.usage.answered(out[i], cached=False)
        if failure is not None:
            kept = (
                f"; received answers are kept in {self.cache.path}"
                if self.cache is not None
                else ""
            )
            status, body = getattr(failure, "status", None), getattr(failure, "body", "")
            raise ServerError(f"{failure}{kept}", status, body) from failure
        log.debug("%d answers: %d from the cache", len(out), len(out) - len(todo))
        return out

    def __str__(self) -> str:
        return self.base_url
