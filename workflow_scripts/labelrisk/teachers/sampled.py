"""Answer-only teachers: the class distribution of an item from k written answers.

Most hosted models (reasoning models, the GPT-5 family, Claude, several Gemini versions) return
no log-probabilities. With `openai.logprobs: false` each item is asked `openai.samples` (k)
times at `openai.temperature`, each request with its own `seed` (`sample_seed`: from the item's
messages and the sample's index, so each sample has its own cache row and the sampling noise
is independent across items; seeds 0..k-1 for every item drew the same random numbers for all
items, and a near-indifferent teacher then gave nearly every item the same counts:
measured); every answer is parsed (labelrisk.teachers.answers.AnswerReader: case,
whitespace, punctuation, `Answer: X`, label words or ids, a reasoning model's last line) and
the distribution is the share of the parsed answers each class got. An unparseable answer is
counted, never a class: the item's label mass is the share of its k answers that parsed, and an
item none of whose answers parsed is `no_label` (the `openai.no_label` policy). The entropy of
such a distribution is that of the empirical answer distribution: it takes only the values a
k-sample histogram allows (resolution 1/k; with k = 1 it is 0 for every item).

Reasoning models: `openai.reasoning_effort` is passed through, the answer budget
(`openai.max_answer_tokens`) is sent as `max_completion_tokens` (room for the reasoning), and
`openai.temperature: null` leaves the temperature out for models that refuse it. An answer cut
by the budget before its conclusion is counted (`truncated_answers`).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from collections.abc import Iterator, Sequence

import numpy as np

from labelrisk.teachers.answers import AnswerReader, normalise
from labelrisk.teachers.base import Scores
from labelrisk.teachers.served import constraint_body
from labelrisk.teachers.server import ServerError, refused

log = logging.getLogger(__name__)

# A refused request field, what the server says about it, and the setting that avoids it.
REFUSED_FIELDS = (
    (
        "logprob",
        "the server refuses log-probabilities: set openai.logprobs: false (the class "
        "distribution then comes from openai.samples written answers at openai.temperature)",
    ),
    (
        "temperature",
        "the model refuses a temperature: set openai.temperature: null to leave "
        "it out (reasoning models; then every sample uses the model's own)",
    ),
    (
        "max_completion_tokens",
        "the server does not take max_completion_tokens: set openai.max_tokens_field: max_tokens",
    ),
    (
        "max_tokens",
        "the model takes no max_tokens: set openai.max_tokens_field: "
        "max_completion_tokens (reasoning models)",
    ),
    ("reasoning_effort", "the model takes no reasoning_effort: set openai.reasoning_effort: null"),
    ("structured_outputs", "the server has no structured outputs: set openai.constraint: none"),
    ("guided_choice", "the server has no guided choice: set openai.constraint: none"),
    ("grammar", "the server takes no grammar: set openai.constraint: none"),
    ("seed", "the server refuses `seed`: ask one answer per item (openai.samples: 1)"),
)


def explain_refusal(e: ServerError) -> ServerError:
    """A 400/403/422 about a request field, with the setting that avoids it; else `e`."""
    if e.status not in (400, 403, 404, 422):
        return e
    said = e.body.lower()
    for field, fix in REFUSED_FIELDS:
        if field in said:
            return ServerError(f"{e}\n{fix}", e.status, e.body)
    return e


def tied_to_first(counts: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Each item's label: the class most answers named; among tied classes, the one answered
    first (the answers are independent draws, so this is a fair draw among them; argmax would
    give every tie to the first class)."""
    top = counts == counts.max(axis=1, keepdims=True)
    return np.where(top, first, np.iinfo(first.dtype).max).argmin(axis=1)


def sample_seed(messages: list[dict], sample: int) -> int:
    """The seed of sample `sample` of an item: a hash of its messages and the index."""
    text = json.dumps([messages, sample], sort_keys=True, separators=(",", ":"))
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) & 0x7FFFFFFF


def answer_text(response: dict) -> str | None:
    """The written answer of a chat response (None for a refusal or an empty answer)."""
    if refused(response):
        return None
    message = response["choices"][0].get("message") or {}
    content = message.get("content")
    if isinstance(content, list):  # content parts
        content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return content if isinstance(content, str) else None


def answer_problem(response: dict) -> str | None:
    """What a chat response lacks to be an answer at all, or None."""
    choices = response.get("choices")
    if not isinstance(choices, list) or not choices:
        return "no choices"
    if not isinstance(choices[0], dict) or not isinstance(choices[0].get("message"), dict):
        return "no message"
    return None


class SampledAnswers:
    """The answer-only path of the chat teacher (mixed into ChatTeacher)."""

    def sampled_body(self, messages: list[dict], sample: int, constraint: dict) -> dict:
        field = self.max_tokens_field or (
            "max_completion_tokens" if self.reasoning_effort else "max_tokens"
        )
        body = {"model": self.model, "messages": messages, field: self.max_answer_tokens}
        if self.temperature is not None:
            body["temperature"] = self.temperature
        if self.reasoning_effort:
            body["reasoning_effort"] = self.reasoning_effort
        if self.samples > 1:
            body["seed"] = sample_seed(messages, sample)
        return body | constraint

    def score_sampled(
        self, prompt, demos, texts: Sequence[str], progress=None
    ) -> Iterator[tuple[list[int], Scores]]:
        reader = AnswerReader(prompt.answers, prompt.labels)
        k, n_cls = self.samples, len(prompt.answers)
        ids = self.answer_token_ids(prompt.answers) if self.constraint == "logit_bias" else None
        constraint = constraint_body(self.constraint, prompt.answers, ids)
        flagged: list[int] = []
        seen: Counter = Counter()
        masses, labelless = [], []
        for start in range(0, len(texts), self.chunk_size):
            idx = list(range(start, min(start + self.chunk_size, len(texts))))
            bodies = [
                self.sampled_body(prompt.messages(demos, texts[i]), j, constraint)
                for i in idx
                for j in range(k)
            ]
            got = self.ask(bodies, answer_problem)
            counts = np.zeros((len(idx), n_cls))
            first = np.full((len(idx), n_cls), k)  # the first answer naming each class
            for b, response in enumerate(got):
                text = answer_text(response)
                cls = reader.read(text)
                self.counts["answers"] += 1
                if cls is None:
                    self.counts["unparsed_answers"] += 1
                    if response["choices"][0].get("finish_reason") == "length":
                        self.counts["truncated_answers"] += 1
                    last = (text or "").strip().splitlines()[-1:] or ["(empty or refused)"]
                    seen[normalise(last[0])[:40] or last[0][:40]] += 1
                else:
                    counts[b // k, cls] += 1
                    first[b // k, cls] = min(first[b // k, cls], b % k)
                    seen[prompt.answers[cls]] += 1
            parsed = counts.sum(axis=1)
            none = parsed == 0
            probs = np.full_like(counts, 1.0 / n_cls)
            probs[~none] = counts[~none] / parsed[~none, None]
            scores = Scores(probs, parsed / k, none, tied_to_first(counts, first))
            flagged += [idx[r] for r in np.flatnonzero(none)]
            masses.append(scores.class_mass)
            labelless.append(none)
            if progress is not None:
                progress.update(len(idx))
            yield idx, scores
        if self.counts["truncated_answers"]:
            log.warning(
                "%d answers stopped at openai.max_answer_tokens (%d) before naming a label: "
                "raise it (reasoning models think before they answer)",
                self.counts["truncated_answers"],
                self.max_answer_tokens,
            )
        self.check_no_label(flagged, texts, seen)
        if masses:
            self.check_label_mass(np.concatenate(masses), np.concatenate(labelless), texts, seen)
