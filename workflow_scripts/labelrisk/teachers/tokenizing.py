"""What the backends that hold the teacher's tokenizer share (transformers, vLLM, completions)."""

from __future__ import annotations

from collections.abc import Sequence

from labelrisk.teachers.prompt import Prompt, answer_token_ids, chat_frame


class Tokenizing:
    """Tokenizer helpers every tokenizing backend shares, so all of them cut and encode texts
    alike, and the prompt-level entry point that frames the prompt for `score`."""

    tokenizer = None

    def encode(self, text: str) -> list[int]:
        return self.tokenizer.encode(text, add_special_tokens=False)

    def truncate(self, text: str, budget: int) -> tuple[str, bool]:
        """Cut a text to at most `budget` teacher tokens."""
        ids = self.encode(text)
        if len(ids) <= budget:
            return text, False
        return self.tokenizer.decode(ids[:budget]), True

    def score_items(
        self,
        prompt: Prompt,
        demos: Sequence[tuple[str, int]],
        texts: Sequence[str],
        max_tokens: int = 2048,
        max_batch: int = 32,
        progress=None,
    ):
        """Yield (indices, Scores) for the items `texts` under `prompt` with `demos`: the
        prompt in this teacher's chat template, one answer token per label."""
        frame = chat_frame(self.tokenizer, prompt, demos)
        ids = answer_token_ids(self.tokenizer, prompt.answers)
        yield from self.score(frame, texts, ids, max_tokens, max_batch, progress)
