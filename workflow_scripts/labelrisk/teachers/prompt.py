"""The annotation prompt: the paper's 3-shot template (Lu & Smith 2025, Appendix C) by default,
shaped per dataset (label words, descriptions, a system prompt, a template file), as chat
messages every backend renders alike."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

TEMPLATE = (
    "### Instruction ###\n"
    "{task}\n"
    "Respond with only the label name, nothing else.\n"
    "### Available Labels ###\n"
    "{labels}\n"
    "### Examples ###\n"
    "{demonstrations}\n"
    "### Input ###\n"
    "Text to classify: {text}\n"
    "### Output ###\n"
    "Label:"
)
PLACEHOLDERS = ("task", "labels", "demonstrations", "text")
ANSWERS = ("ids", "words")

# Stands in for the input text while the chat template is rendered, so that the prompt splits
# into a prefix shared by every item, the item, and a shared suffix.
_SLOT = "\x00LABELRISK_INPUT\x00"


class PromptError(ValueError):
    pass


def check_template(template: str, where: str = "template") -> None:
    """A template names only the known placeholders, and the input text exactly once."""
    names = re.findall(r"\{(\w+)\}", template)
    unknown = sorted(set(names) - set(PLACEHOLDERS))
    if unknown:
        raise PromptError(
            f"{where}: unknown placeholder(s) {', '.join('{' + n + '}' for n in unknown)}; "
            f"known: {', '.join('{' + n + '}' for n in PLACEHOLDERS)}"
        )
    if names.count("text") != 1:
        raise PromptError(f"{where}: must hold {{text}} exactly once, not {names.count('text')}")


@dataclass(frozen=True)
class Prompt:
    """How a dataset's items are put to a teacher. The defaults are the paper's prompt.

    `answer`: the model answers a class id (`0`..`K-1`, the paper) or the label's name;
    `descriptions`: label name -> a line of explanation shown beside it; `system`: a system
    message (none: the chat template's own default); `template`: the user message, with the
    placeholders {task}, {labels}, {demonstrations} and {text}; another `{name}` is refused as
    a typo, other braces are literal.
    """

    task: str
    labels: tuple[str, ...]
    answer: str = "ids"
    descriptions: Mapping[str, str] = field(default_factory=dict)
    system: str | None = None
    template: str = TEMPLATE

    def __post_init__(self):
        object.__setattr__(self, "labels", tuple(self.labels))
        object.__setattr__(self, "descriptions", dict(self.descriptions or {}))
        if self.answer not in ANSWERS:
            raise PromptError(f"answer must be one of {ANSWERS}, not {self.answer!r}")
        unknown = sorted(set(self.descriptions) - set(self.labels))
        if unknown:
            raise PromptError(f"descriptions of unknown labels {unknown}; labels: {self.labels}")
        check_template(self.template)
        if self.answer == "words" and len({w.strip() for w in self.labels}) != len(self.labels):
            raise PromptError(f"label words must differ: {self.labels}")

    @classmethod
    def of_dataset(cls, entry: Mapping, template_text: str | None = None) -> Prompt:
        """The prompt of a dataset's config entry (its `prompt` section; the template file's
        text read by the caller)."""
        spec = entry.get("prompt") or {}
        return cls(
            task=entry["task"],
            labels=tuple(entry["labels"]),
            answer=spec.get("answer", "ids"),
            descriptions=spec.get("descriptions") or {},
            system=spec.get("system"),
            template=TEMPLATE if template_text is None else template_text,
        )

    @property
    def answers(self) -> list[str]:
        """What the model answers for each class, in class order."""
        if self.answer == "ids":
            return [str(k) for k in range(len(self.labels))]
        return list(self.labels)

    def label_lines(self) -> str:
        """`0: negative` lines (the paper: labels mapped to integers), or the label words; a
        description follows its label after ` - `."""
        lines = []
        for k, name in enumerate(self.labels):
            line = f"{k}: {name}" if self.answer == "ids" else name
            if name in self.descriptions:
                line += f" - {self.descriptions[name]}"
            lines.append(line)
        return "\n".join(lines)

    def demonstration_block(self, demos: Sequence[tuple[str, int]]) -> str:
        return "\n\n".join(f"Text: {text}\nLabel: {self.answers[y]}" for text, y in demos)

    def user(self, demos: Sequence[tuple[str, int]], text: str) -> str:
        """The user message for one item. Placeholders are replaced in one pass, so text that
        itself holds `{labels}` is never expanded."""
        values = {
            "task": self.task.strip(),
            "labels": self.label_lines(),
            "demonstrations": self.demonstration_block(demos),
            "text": text,
        }
        return re.sub(
            r"\{(" + "|".join(PLACEHOLDERS) + r")\}", lambda m: values[m.group(1)], self.template
        )

    def messages(self, demos: Sequence[tuple[str, int]], text: str) -> list[dict]:
        """The chat messages of one item: the system message when set, then the user turn."""
        out = [{"role": "system", "content": self.system}] if self.system is not None else []
        return out + [{"role": "user", "content": self.user(demos, text)}]

    def identity(self) -> dict:
        """Everything that decides the rendered prompt (for journal keys)."""
        return {
            "task": self.task.strip(),
            "labels": list(self.labels),
            "answer": self.answer,
            "descriptions": dict(sorted(self.descriptions.items())),
            "system": self.system,
            "template": self.template,
        }


@dataclass(frozen=True)
class PromptFrame:
    """A chat-templated prompt cut around the input text: prefix + lead + text + suffix, where
    `lead` is the space the template puts before the text (kept with the text, as a
    whole-prompt tokenisation keeps it with the word that follows)."""

    prefix: str
    suffix: str
    lead: str = ""

    def body(self, text: str) -> str:
        return self.lead + text + self.suffix

    def full(self, text: str) -> str:
        return self.prefix + self.body(text)

    def token_ids(self, encode, text: str) -> list[int]:
        """The prompt's tokens as every backend feeds them: the shared prefix, then the text and
        suffix encoded together (as a whole-prompt tokenisation would, e.g. `.\n` is one token)."""
        return encode(self.prefix) + encode(self.body(text))


def chat_frame(tokenizer, prompt: Prompt, demos: Sequence[tuple[str, int]]) -> PromptFrame:
    """The prompt's messages in the model's chat template, the assistant turn opened, cut
    around the input text."""
    messages = prompt.messages(demos, _SLOT)
    if getattr(tokenizer, "chat_template", None):
        chat = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    else:
        chat = "\n\n".join(m["content"] for m in messages)
    prefix, sep, suffix = chat.partition(_SLOT)
    if not sep or _SLOT in suffix:
        raise PromptError("chat template must place the user message exactly once")
    # End the shared prefix before the space that precedes the text, so the text keeps its
    # leading space and the tokens on both sides of the cut are a whole-prompt tokenisation's.
    if prefix.endswith(" "):
        return PromptFrame(prefix=prefix[:-1], suffix=suffix, lead=" ")
    return PromptFrame(prefix=prefix, suffix=suffix)


def answer_token_ids(tokenizer, answers: Sequence[str]) -> list[int]:
    """Token id of each answer, for backends that read one answer token. A label word the
    tokenizer splits is refused: its probability is not one token's."""
    ids = []
    for a in answers:
        toks = tokenizer.encode(a, add_special_tokens=False)
        if len(toks) != 1:
            pieces = [tokenizer.decode([t]) for t in toks]
            raise PromptError(
                f"answer {a!r} is {len(toks)} tokens {pieces} for this teacher's tokenizer; "
                f"this backend scores one answer token: use a one-token label word, "
                f"`prompt.answer: ids`, or the openai_chat backend (which scores a word by the "
                f"tokens that begin it)"
            )
        ids.append(toks[0])
    if len(set(ids)) != len(ids):
        raise PromptError(f"answers {list(answers)} share a token")
    return ids
