"""Teacher scoring through an OpenAI-compatible chat-completions server: hosted chat models,
`vllm serve`, llama.cpp, TGI. No model folder and no tokenizer here.

Each item is the prompt's messages (the same rendering as every backend: the server applies its
model's chat template), answered with one token at temperature 0, with `logprobs` and
`top_logprobs` of that token. Where the server offers it the answer is constrained to the label
answers (`openai.constraint`: vLLM's structured outputs or guided choice, a llama.cpp grammar,
or `logit_bias` on the label tokens for servers that have only that); otherwise it is read
from the top log-probabilities. The class distribution is the label answers' share of the
reported tokens (labelrisk.teachers.logprobs.prefix_mass, which counts `Negative`, ` negative`
and `negative.` for `negative`), renormalised; the rest is the item's off-label mass, recorded
where the server reports log-probabilities before its mask.

A model without log-probabilities (`openai.logprobs: false`) is asked for k written answers
instead (labelrisk.teachers.sampled).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence

import numpy as np

from labelrisk.teachers.base import Scores
from labelrisk.teachers.logprobs import prefix_mass, to_scores
from labelrisk.teachers.prompt import Prompt
from labelrisk.teachers.sampled import SampledAnswers, explain_refusal
from labelrisk.teachers.served import ServedTeacher, constraint_body
from labelrisk.teachers.server import ServerError, refused


def top_tokens(response: dict) -> list[tuple[str, float]]:
    """(token, log-probability) of the first answer token's top alternatives; none for an
    item the provider refused (content filter)."""
    if refused(response):
        return []
    try:
        first = response["choices"][0]["logprobs"]["content"][0]
    except (KeyError, IndexError, TypeError):
        raise ServerError(f"the server answered without log-probabilities: {NO_LOGPROBS}") from None
    top = [(t["token"], t["logprob"]) for t in first.get("top_logprobs") or []]
    # The chosen token itself, in case the server lists it apart from its alternatives.
    if first.get("token") is not None and all(t != first["token"] for t, _ in top):
        top.append((first["token"], first["logprob"]))
    return top


NO_LOGPROBS = (
    "a chat teacher reading log-probabilities needs `logprobs` and `top_logprobs` on chat "
    "completions; for a model without them set openai.logprobs: false (k written answers)"
)


def logprob_problem(response: dict) -> str | None:
    """What a chat answer lacks to be scored from log-probabilities, or None."""
    try:
        top_tokens(response)
    except ServerError:
        return "no log-probabilities"
    return None


class ChatTeacher(SampledAnswers, ServedTeacher):
    def body(self, prompt: Prompt, messages: list[dict], constraint: dict) -> dict:
        return {
            "model": self.model,
            "messages": messages,
            "max_tokens": 1,  # one answer token: its log-probabilities are the scores
            "temperature": 0,
            "logprobs": True,
            "top_logprobs": max(self.top_logprobs, len(prompt.answers)),
            **constraint,
        }

    def ask(self, bodies: list[dict], check) -> list[dict]:
        """The chunk's answers; a refusal of a request field is explained with its setting."""
        try:
            return self.server.answers("chat/completions", bodies, self.cache_model, check)
        except ServerError as e:
            raise explain_refusal(e) from e

    def score_items(
        self,
        prompt: Prompt,
        demos: Sequence[tuple[str, int]],
        texts: Sequence[str],
        max_tokens: int = 2048,
        max_batch: int = 32,
        progress=None,
    ) -> Iterator[tuple[list[int], Scores]]:
        """Yield (indices, Scores) per chunk of `chunk_size` items; each answer is cached as it
        arrives and parses. `max_tokens`/`max_batch` are the transformers backend's knobs."""
        self.check_labels(prompt)
        self.answers_shown = prompt.answers
        if not self.logprobs:
            yield from self.score_sampled(prompt, demos, texts, progress)
            return
        answers = prompt.answers
        ids = self.answer_token_ids(answers) if self.constraint == "logit_bias" else None
        constraint = constraint_body(self.constraint, answers, ids)
        flagged: list[int] = []
        tokens: Counter = Counter()
        masses, labelless = [], []
        for start in range(0, len(texts), self.chunk_size):
            idx = list(range(start, min(start + self.chunk_size, len(texts))))
            bodies = [self.body(prompt, prompt.messages(demos, texts[i]), constraint) for i in idx]
            got = self.ask(bodies, logprob_problem)
            tops = [top_tokens(r) for r in got]
            tokens.update(max(t, key=lambda x: x[1])[0] if t else "(refused)" for t in tops)
            mass = np.stack([prefix_mass(t, answers) for t in tops])
            scores = to_scores(mass, self.pre_mask)
            flagged += [idx[r] for r in np.flatnonzero(scores.no_label)]
            masses.append(scores.class_mass)
            labelless.append(scores.no_label)
            if progress is not None:
                progress.update(len(idx))
            yield idx, scores
        self.check_no_label(flagged, texts, tokens)
        if masses:
            self.check_label_mass(np.concatenate(masses), np.concatenate(labelless), texts, tokens)
