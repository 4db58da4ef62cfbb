import pytest

from labelrisk.annotation.prompt import TEMPLATE, chat_frame, render

pytestmark = pytest.mark.unit

EXPECTED = """### Instruction ###
Classify reviews.
Respond with only the label name, nothing else.
### Available Labels ###
0: negative
1: positive
### Examples ###
Text: awful
Label: 0

Text: lovely
Label: 1

Text: fine
Label: 1
### Input ###
Text to classify: so so
### Output ###
Label:"""


def test_render_matches_the_papers_template():
    demos = [("awful", 0), ("lovely", 1), ("fine", 1)]
    assert render("Classify reviews.", {0: "negative", 1: "positive"}, demos, "so so") == EXPECTED
    assert TEMPLATE.count("{") == 4


class ChatTokenizer:
    """A tokenizer's chat-template interface, as transformers tokenizers expose it."""

    chat_template = "x"

    def apply_chat_template(self, messages, tokenize, add_generation_prompt):
        assert not tokenize and add_generation_prompt
        return "<user>" + messages[0]["content"] + "</user><assistant>"


def test_chat_frame_cuts_around_the_input():
    demos = [("awful", 0), ("lovely", 1), ("fine", 1)]
    frame = chat_frame(ChatTokenizer(), "Classify reviews.", {0: "negative", 1: "positive"}, demos)
    assert frame.prefix.endswith("Text to classify:")
    assert frame.suffix == "\n### Output ###\nLabel:</user><assistant>"
    assert frame.full(" so so") == "<user>" + EXPECTED + "</user><assistant>"


def test_real_chat_template(models):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(models["teacher"])
    frame = chat_frame(tok, "Classify reviews.", {0: "negative", 1: "positive"}, [("awful", 0)])
    assert "<|im_start|>user\n### Instruction ###" in frame.prefix
    assert frame.suffix.endswith("<|im_start|>assistant\n")
