"""The prompt: the paper's by default, byte for byte; shaped per dataset; one rendering for all
backends."""

import pandas as pd
import pytest

from labelrisk.annotation.demonstrations import DemonstrationError, fixed_demonstrations
from labelrisk.teachers.prompt import (
    TEMPLATE,
    Prompt,
    PromptError,
    answer_token_ids,
    chat_frame,
)

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
DEMOS = [("awful", 0), ("lovely", 1), ("fine", 1)]
LABELS = ("negative", "positive")


def test_render_matches_the_papers_template():
    assert Prompt("Classify reviews.", LABELS).user(DEMOS, "so so") == EXPECTED
    assert TEMPLATE.count("{") == 4
    # The default is the paper's, whatever the config spells out as default.
    entry = {"task": "Classify reviews.", "labels": list(LABELS), "prompt": {}}
    spelt = entry | {"prompt": {"answer": "ids", "descriptions": {}, "system": None}}
    for e in (entry, spelt):
        prompt = Prompt.of_dataset(e)
        assert prompt.user(DEMOS, "so so") == EXPECTED
        assert prompt.messages(DEMOS, "so so") == [{"role": "user", "content": EXPECTED}]


def test_label_words_descriptions_and_a_system_message():
    p = Prompt(
        "Classify reviews.",
        LABELS,
        answer="words",
        descriptions={"positive": "the reviewer liked the film"},
        system="You label data.",
    )
    user = p.user(DEMOS[:2], "so so")
    assert "### Available Labels ###\nnegative\npositive - the reviewer liked the film\n" in user
    assert "Text: awful\nLabel: negative\n\nText: lovely\nLabel: positive\n" in user
    assert p.answers == ["negative", "positive"]
    assert p.messages(DEMOS, "x")[0] == {"role": "system", "content": "You label data."}
    ids = Prompt("T.", LABELS, descriptions={"negative": "bad"})
    assert ids.label_lines() == "0: negative - bad\n1: positive"
    with pytest.raises(PromptError, match="unknown labels"):
        Prompt("T.", LABELS, descriptions={"neutral": "meh"})


def test_a_template_file_replaces_the_user_message():
    tpl = '{task}\nLabels:\n{labels}\n{demonstrations}\nReview {"a": 1}: {text}\nAnswer:'
    p = Prompt("Classify.", LABELS, template=tpl)
    assert p.user([("ok", 1)], "a {labels} b") == (
        "Classify.\nLabels:\n0: negative\n1: positive\nText: ok\nLabel: 1\n"
        'Review {"a": 1}: a {labels} b\nAnswer:'
    )
    with pytest.raises(PromptError, match=r"unknown placeholder\(s\) \{txt\}"):
        Prompt("T.", LABELS, template="{txt}")
    with pytest.raises(PromptError, match=r"\{text\} exactly once, not 0"):
        Prompt("T.", LABELS, template="{task}")


def test_fixed_demonstrations_from_a_file(tmp_path):
    path = tmp_path / "demos.csv"
    pd.DataFrame(
        {
            "text": ["awful", "lovely", "fine"],
            "label": ["negative", "positive", 1],
            "member": [0, 0, 1],
        }
    ).to_csv(path, index=False)
    d0 = fixed_demonstrations(path, LABELS, 0)
    assert d0.text.tolist() == ["awful", "lovely"] and d0.label.tolist() == [0, 1]
    assert d0.id.tolist() == ["demo0", "demo1"]
    assert fixed_demonstrations(path, LABELS, 1).id.tolist() == ["demo2"]
    with pytest.raises(DemonstrationError, match="no demonstrations for member 2"):
        fixed_demonstrations(path, LABELS, 2)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "x", "label": "meh"}\n')
    with pytest.raises(DemonstrationError, match=r"bad.jsonl, row 1: label 'meh' is not one of"):
        fixed_demonstrations(bad, LABELS, 0)


class ChatTokenizer:
    """A tokenizer's chat-template interface, as transformers tokenizers expose it."""

    chat_template = "x"

    def apply_chat_template(self, messages, tokenize, add_generation_prompt):
        assert not tokenize and add_generation_prompt
        return "".join(f"<{m['role']}>{m['content']}</{m['role']}>" for m in messages) + "<a>"


def test_chat_frame_cuts_around_the_input():
    frame = chat_frame(ChatTokenizer(), Prompt("Classify reviews.", LABELS), DEMOS)
    assert frame.prefix.endswith("Text to classify:") and frame.lead == " "
    assert frame.suffix == "\n### Output ###\nLabel:</user><a>"
    assert frame.full("so so") == "<user>" + EXPECTED + "</user><a>"
    system = chat_frame(ChatTokenizer(), Prompt("T.", LABELS, system="S"), DEMOS)
    assert system.prefix.startswith("<system>S</system><user>### Instruction ###")
    # A template whose text does not follow a space keeps the text as it is.
    tpl = chat_frame(ChatTokenizer(), Prompt("T.", LABELS, template="Review:\n{text}"), [])
    assert tpl.full("so so") == "<user>Review:\nso so</user><a>" and tpl.lead == ""


def test_real_chat_template(tokenizers):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tokenizers["teacher"])
    frame = chat_frame(tok, Prompt("Classify reviews.", LABELS), [("awful", 0)])
    assert "<|im_start|>user\n### Instruction ###" in frame.prefix
    assert frame.suffix.endswith("<|im_start|>assistant\n")
    # One-token label words are read as one answer token; a split word is refused, by name.
    assert len(answer_token_ids(tok, ["negative", "positive"])) == 2
    with pytest.raises(PromptError, match=r"'sports' is 2 tokens \['s', 'ports'\]"):
        answer_token_ids(tok, ["business", "sports"])
