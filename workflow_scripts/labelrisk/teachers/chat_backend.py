"""Teacher scoring through an OpenAI-compatible chat-completions server: hosted chat models,
`vllm serve`, llama.cpp, TGI. No model folder and no tokenizer here.

Each item is the prompt's messages (the same rendering as every backend: the server applies its
model's chat template), answered with one token at temperature 0, with `logprobs` and
`top_logprobs` of that token. Where the server offers it the answer is constrained to the label
answers (`openai.constraint`: vLLM's structured outputs or guided choice, a llama.cpp grammar,
or `logit_bias` on the label tokens for servers that have only that); otherwise it is read
from the top log-probabilities. The class distribution is the label answers' share of the
reported tokens (labelrisk.teachers.logprobs.prefix_mass), renormalised; the rest is the
item's off-label mass, recorded where the server reports log-probabilities before its mask.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from labelrisk.teachers.base import Scores
from labelrisk.teachers.logprobs import prefix_mass, to_scores
from labelrisk.teachers.prompt import Prompt
from labelrisk.teachers.served import ServedTeacher, constraint_body
from labelrisk.teachers.server import ServerError


def top_tokens(response: dict) -> list[tuple[str, float]]:
    """(token, log-probability) of the first answer token's top alternatives."""
    try:
        first = response["choices"][0]["logprobs"]["content"][0]
    except (KeyError, IndexError, TypeError):
        raise ServerError(
            "the server answered without log-probabilities; a chat teacher needs `logprobs` "
            f"and `top_logprobs` on chat completions (got {str(response)[:300]})"
        ) from None
    top = [(t["token"], t["logprob"]) for t in first.get("top_logprobs") or []]
    # The chosen token itself, in case the server lists it apart from its alternatives.
    if first.get("token") is not None and all(t != first["token"] for t, _ in top):
        top.append((first["token"], first["logprob"]))
    return top


class ChatTeacher(ServedTeacher):
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
        arrives. `max_tokens`/`max_batch` are the transformers backend's knobs."""
        answers = prompt.answers
        ids = self.answer_token_ids(answers) if self.constraint == "logit_bias" else None
        constraint = constraint_body(self.constraint, answers, ids)
        flagged: list[int] = []
        for start in range(0, len(texts), self.chunk_size):
            idx = list(range(start, min(start + self.chunk_size, len(texts))))
            bodies = [self.body(prompt, prompt.messages(demos, texts[i]), constraint) for i in idx]
            got = self.server.answers("chat/completions", bodies, self.model_id)
            mass = np.stack([prefix_mass(top_tokens(r), answers) for r in got])
            scores = to_scores(mass, self.pre_mask)
            flagged += [idx[r] for r in np.flatnonzero(scores.no_label)]
            if progress is not None:
                progress.update(len(idx))
            yield idx, scores
        self.check_no_label(flagged, texts)
