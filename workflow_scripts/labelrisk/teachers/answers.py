"""Reading a server's answer as the model meant it: a label token or a written answer.

A model writes a label in many ways: `Negative`, ` negative`, `negative.`, `Answer: 1`, or,
for a reasoning model, a paragraph whose last line is the answer. `normalise` maps all of them
to one key (case folded, surrounding whitespace, quotes, markdown emphasis and trailing
punctuation removed), so label variants count for their label; two labels that meet under it
are refused (`collisions`), since no answer could then tell them apart. `AnswerReader` parses
a whole written answer into a class index, or None: an unparseable answer is never a class.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# Characters that surround an answer without being part of it.
_EDGE = " \t\r\n\"'`*_()[]{}<>"
_TRAILING = ".,;:!?"
# "Answer: X", "Final answer - X", "Label = X", "**Answer:** X" (the last one in a text counts).
_PREFIX = re.compile(
    r"(?:answer|label|class|category|classification)(?:\s*[:=\-]\s*|\s+is\s+)(.+)",
    re.IGNORECASE,
)


def normalise(text: str) -> str:
    """The comparison key of an answer or a label: `" Negative."` and `"negative"` meet."""
    out = text.strip(_EDGE)
    while out and out[-1] in _TRAILING:
        out = out[:-1].rstrip(_EDGE)
    return out.strip(_EDGE).casefold()


def collisions(labels: Sequence[str]) -> list[tuple[str, str]]:
    """Pairs of labels that are one answer after `normalise` (`Yes` and `yes.`), or empty."""
    seen: dict[str, str] = {}
    out = []
    for label in labels:
        key = normalise(str(label))
        if key in seen:
            out.append((seen[key], str(label)))
        else:
            seen[key] = str(label)
    return out


def label_words_error(labels: Sequence[str], where: str) -> str | None:
    """The config error for labels a teacher's answer could not tell apart, or None."""
    pairs = collisions(labels)
    if not pairs:
        return None
    shown = ", ".join(f"{a!r} and {b!r}" for a, b in pairs)
    return (
        f"{where}: labels {shown} differ only in case, surrounding spaces or punctuation, so a "
        f"teacher's answer cannot tell them apart; rename one of each pair"
    )


class AnswerReader:
    """Parses written answers into class indices.

    Accepted, after `normalise`: the answer the prompt asks for (`answers`: ids or words), a
    label's name, or its class id, where these do not point to two classes (labels `["1",
    "0"]` asked by id: the word `1` is class 0 by id and class 1 by name, so only the asked
    form counts). Looked for in order: the whole text, what follows the last `Answer: X` (or
    `the label is X`), its first word, the last non-empty line (a reasoning model's
    conclusion). Nothing else: `not positive` is no answer rather than a guessed one.
    """

    def __init__(self, answers: Sequence[str], labels: Sequence[str]):
        self.keys: dict[str, int] = {}
        for k, a in enumerate(answers):
            self.keys[normalise(a)] = k
        ambiguous: set[str] = set()
        extra: dict[str, int] = {}
        for k, form in [*enumerate(labels), *((k, str(k)) for k in range(len(labels)))]:
            key = normalise(str(form))
            if key in self.keys and self.keys[key] != k or extra.get(key, k) != k:
                ambiguous.add(key)
            elif key not in self.keys:
                extra[key] = k
        self.keys |= {k: v for k, v in extra.items() if k not in ambiguous}

    def read(self, text: str | None) -> int | None:
        """The class the text answers, or None when it names no class (or several)."""
        if not text or not text.strip():
            return None
        lines = [line for line in text.strip().splitlines() if line.strip()]
        tried = [text]
        prefixed = [m.group(1) for line in lines if (m := _PREFIX.search(line))]
        if prefixed:
            tried += [prefixed[-1], prefixed[-1].split()[0]]
        tried.append(lines[-1])
        for candidate in tried:
            k = self.keys.get(normalise(candidate))
            if k is not None:
                return k
        return None
