"""Teacher scoring through an OpenAI-compatible completions server (`vllm serve`, llama.cpp...).

The prompt is rendered here, with the teacher folder's tokenizer and chat template, exactly as
for the other backends, and sent to `/v1/completions` as the same token ids the other backends
use (vLLM and llama.cpp accept a token list as `prompt`; `prompt_as: text` sends the text for
servers that do not, which the server then tokenises whole); the server generates one
constrained token and returns the top log-probabilities of that first token, from which the
class distribution is taken. The API key is read from an environment variable whose name is
configured; it never passes through the workflow's params.

Constraining to the class ids needs a server extension (OpenAI's own API has none):
- `structured_outputs`: vLLM >= 0.10, `{"structured_outputs": {"choice": [...]}}`;
- `guided_choice`: older vLLM, `{"guided_choice": [...]}`;
- `gbnf`: llama.cpp server, `{"grammar": 'root ::= "0" | "1"'}`;
- `none`: unconstrained; classes missing from the top log-probabilities get probability 0.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

import requests
from requests.adapters import HTTPAdapter
from transformers import AutoTokenizer
from urllib3.util.retry import Retry

from labelrisk.annotation.prompt import PromptFrame
from labelrisk.teachers.logprobs import class_scores
from labelrisk.teachers.tokenizing import Tokenizing

CONSTRAINTS = ("structured_outputs", "guided_choice", "gbnf", "none")


def constraint_body(kind: str, choices: Sequence[str]) -> dict:
    """Request fields that restrict the answer to one of `choices`."""
    if kind == "structured_outputs":
        return {"structured_outputs": {"choice": list(choices)}}
    if kind == "guided_choice":
        return {"guided_choice": list(choices)}
    if kind == "gbnf":
        return {"grammar": "root ::= " + " | ".join(f'"{c}"' for c in choices)}
    if kind == "none":
        return {}
    raise ValueError(f"unknown constraint {kind!r}; one of {CONSTRAINTS}")


def retrying_session(max_retries: int, backoff: float) -> requests.Session:
    """A session that retries refused connections, 429 and 5xx with exponential backoff."""
    retry = Retry(
        total=max_retries,
        backoff_factor=backoff,
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=None,  # completions are POSTs; repeating one is harmless here
        raise_on_status=False,
    )
    s = requests.Session()
    s.mount("http://", HTTPAdapter(max_retries=retry))
    s.mount("https://", HTTPAdapter(max_retries=retry))
    return s


class OpenAITeacher(Tokenizing):
    def __init__(
        self,
        model_dir: str,
        base_url: str,
        model: str,
        api_key_env: str | None = "OPENAI_API_KEY",
        constraint: str = "structured_outputs",
        pre_mask: bool = False,
        top_logprobs: int = 20,
        concurrency: int = 4,
        chunk_size: int = 64,
        prompt_as: str = "token_ids",
        max_retries: int = 5,
        backoff: float = 1.0,
        timeout: float = 120.0,
    ):
        self.tokenizer = AutoTokenizer.from_pretrained(model_dir)
        self.url = base_url.rstrip("/") + "/completions"
        self.model = model
        self.constraint = constraint_body(constraint, ["0"])  # validates early
        self.constraint_kind = constraint
        self.pre_mask = pre_mask or constraint == "none"
        self.top_logprobs = top_logprobs
        self.concurrency = concurrency
        self.chunk_size = chunk_size
        if prompt_as not in ("token_ids", "text"):
            raise ValueError(f"prompt_as must be token_ids or text, not {prompt_as!r}")
        self.prompt_as = prompt_as
        self.timeout = timeout
        self.session = retrying_session(max_retries, backoff)
        if api_key_env:
            key = os.environ.get(api_key_env)
            if not key:
                raise RuntimeError(f"environment variable {api_key_env} (the API key) is not set")
            self.session.headers["Authorization"] = f"Bearer {key}"

    def first_token_logprobs(self, prompt: str | list[int], n_classes: int) -> dict[str, float]:
        """Top log-probabilities of the first generated token, keyed by token text."""
        body = {
            "model": self.model,
            "prompt": prompt,
            "max_tokens": 2,  # the class token, then end-of-sequence
            "temperature": 0,
            "logprobs": max(self.top_logprobs, n_classes),
            **constraint_body(self.constraint_kind, [str(k) for k in range(n_classes)]),
        }
        r = self.session.post(self.url, json=body, timeout=self.timeout)
        if r.status_code != 200:
            raise RuntimeError(f"{self.url} answered {r.status_code}: {r.text[:500]}")
        return r.json()["choices"][0]["logprobs"]["top_logprobs"][0]

    def score(
        self,
        frame: PromptFrame,
        texts: Sequence[str],
        class_ids: Sequence[int],
        max_tokens: int = 2048,
        max_batch: int = 32,
        progress=None,
    ) -> Iterator[tuple[list[int], object]]:
        """Yield (indices, scores) per chunk; requests within a chunk run concurrently."""
        k = len(class_ids)
        keys = [str(c) for c in range(k)]
        missing = "zero" if self.constraint_kind == "none" else "error"
        with ThreadPoolExecutor(self.concurrency) as pool:
            for start in range(0, len(texts), self.chunk_size):
                idx = list(range(start, min(start + self.chunk_size, len(texts))))
                prompts = [
                    frame.token_ids(self.encode, texts[i])
                    if self.prompt_as == "token_ids"
                    else frame.full(texts[i])
                    for i in idx
                ]
                reported = list(pool.map(lambda p: self.first_token_logprobs(p, k), prompts))
                if progress is not None:
                    progress.update(len(idx))
                yield idx, class_scores(reported, keys, self.pre_mask, missing)
