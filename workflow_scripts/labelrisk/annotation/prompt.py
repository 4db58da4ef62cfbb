"""The paper's 3-shot annotation prompt (Lu & Smith 2025, Appendix C) and its chat framing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

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

# Stands in for the input text while the chat template is rendered, so that the prompt splits
# into a prefix shared by every item, the item, and a shared suffix.
_SLOT = "\x00LABELRISK_INPUT\x00"


def label_description(labels: Mapping[int, str]) -> str:
    """`0: negative` lines: the class id is what the model answers (labels mapped to integers)."""
    return "\n".join(f"{i}: {name}" for i, name in sorted(labels.items()))


def demonstration_block(demos: Sequence[tuple[str, int]]) -> str:
    return "\n\n".join(f"Text: {text}\nLabel: {label}" for text, label in demos)


def render(
    task: str, labels: Mapping[int, str], demos: Sequence[tuple[str, int]], text: str
) -> str:
    """The user message for one item, exactly as in the paper's template."""
    return TEMPLATE.format(
        task=task.strip(),
        labels=label_description(labels),
        demonstrations=demonstration_block(demos),
        text=text,
    )


@dataclass(frozen=True)
class PromptFrame:
    """A chat-templated prompt cut around the input text: prefix + text + suffix."""

    prefix: str
    suffix: str

    def full(self, text: str) -> str:
        return self.prefix + text + self.suffix

    def token_ids(self, encode, text: str) -> list[int]:
        """The prompt's tokens as every backend feeds them: the shared prefix, then the text and
        suffix encoded together (as a whole-prompt tokenisation would, e.g. `.\n` is one token)."""
        return encode(self.prefix) + encode(text + self.suffix)


def chat_frame(tokenizer, task: str, labels: Mapping[int, str], demos) -> PromptFrame:
    """Wrap the template in the model's chat template, with the assistant turn opened."""
    user = render(task, labels, demos, _SLOT)
    messages = [{"role": "user", "content": user}]
    if getattr(tokenizer, "chat_template", None):
        chat = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    else:
        chat = user
    prefix, sep, suffix = chat.partition(_SLOT)
    if not sep or _SLOT in suffix:
        raise ValueError("chat template must place the user message exactly once")
    # End the shared prefix at "Text to classify:" so the text keeps its leading space, and
    # the tokens on both sides of the cut are the ones a whole-prompt tokenisation would give.
    if prefix.endswith(" "):
        prefix = prefix[:-1]
    return PromptFrame(prefix=prefix, suffix=suffix)
