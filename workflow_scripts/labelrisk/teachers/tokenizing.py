"""Tokenizer helpers shared by the teacher backends."""

from __future__ import annotations


class Tokenizing:
    """Tokenizer helpers every backend shares, so all of them cut and encode texts alike."""

    tokenizer = None

    def encode(self, text: str) -> list[int]:
        return self.tokenizer.encode(text, add_special_tokens=False)

    def truncate(self, text: str, budget: int) -> tuple[str, bool]:
        """Cut a text to at most `budget` teacher tokens."""
        ids = self.encode(text)
        if len(ids) <= budget:
            return text, False
        return self.tokenizer.decode(ids[:budget]), True
