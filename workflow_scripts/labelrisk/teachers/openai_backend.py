"""Teacher scoring through an OpenAI-compatible completions server (`vllm serve`, llama.cpp...).

The prompt is rendered here, with the teacher folder's tokenizer and chat template, exactly as
for the local backends, and sent to `/v1/completions` as the same token ids the local backends
use (vLLM and llama.cpp accept a token list as `prompt`; `prompt_as: text` sends the text for
servers that do not, which the server then tokenises whole); the server generates one
constrained token and returns the top log-probabilities of that first token, from which the
class distribution is taken. Requests, retries, rate limits and the answer cache are
labelrisk.teachers.server's; the chat backend (labelrisk.teachers.chat_backend) needs no
tokenizer at all.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence

from transformers import AutoTokenizer

from labelrisk.teachers.logprobs import class_scores
from labelrisk.teachers.prompt import PromptFrame
from labelrisk.teachers.served import ServedTeacher, constraint_body
from labelrisk.teachers.tokenizing import Tokenizing


def completion_problem(response: dict) -> str | None:
    """What a completions answer lacks to be scored (its first token's top logprobs), or None."""
    try:
        top = response["choices"][0]["logprobs"]["top_logprobs"][0]
    except (KeyError, IndexError, TypeError):
        return "no log-probabilities"
    return None if isinstance(top, dict) else "no log-probabilities"


class OpenAITeacher(Tokenizing, ServedTeacher):
    def __init__(self, model_dir: str, options: dict, cache: str | None = None):
        self.tokenizer = AutoTokenizer.from_pretrained(model_dir)
        self.prompt_as = options.get("prompt_as", "token_ids")
        if self.prompt_as not in ("token_ids", "text"):
            raise ValueError(f"prompt_as must be token_ids or text, not {self.prompt_as!r}")
        if options.get("logprobs") is False:
            raise ValueError(
                "backend openai reads log-probabilities; a model without them is asked through "
                "backend openai_chat with openai.logprobs: false"
            )
        ServedTeacher.__init__(self, options, cache)

    truncate = Tokenizing.truncate  # the local tokenizer cuts, not the server

    def score(
        self,
        frame: PromptFrame,
        texts: Sequence[str],
        class_ids: Sequence[int],
        max_tokens: int = 2048,
        max_batch: int = 32,
        progress=None,
    ) -> Iterator[tuple[list[int], object]]:
        """Yield (indices, scores) per chunk; each answer is cached as it arrives."""
        answers = [self.tokenizer.decode([c]) for c in class_ids]
        constraint = constraint_body(self.constraint, answers, list(class_ids))
        missing = "zero" if self.constraint == "none" else "error"
        flagged: list[int] = []
        tokens: Counter = Counter()
        for start in range(0, len(texts), self.chunk_size):
            idx = list(range(start, min(start + self.chunk_size, len(texts))))
            bodies = [
                {
                    "model": self.model,
                    "prompt": frame.token_ids(self.encode, texts[i])
                    if self.prompt_as == "token_ids"
                    else frame.full(texts[i]),
                    "max_tokens": 1,  # one answer token: its log-probabilities are the scores
                    "temperature": 0,
                    "logprobs": max(self.top_logprobs, len(class_ids)),
                    **constraint,
                }
                for i in idx
            ]
            got = self.server.answers("completions", bodies, self.cache_model, completion_problem)
            reported = [r["choices"][0]["logprobs"]["top_logprobs"][0] for r in got]
            tokens.update(max(lp, key=lambda t: lp[t] or -1e9) for lp in reported if lp)
            scores = class_scores(reported, answers, self.pre_mask, missing)
            flagged += [idx[r] for r, none in enumerate(scores.no_label) if none]
            if progress is not None:
                progress.update(len(idx))
            yield idx, scores
        self.check_no_label(flagged, texts, tokens)
