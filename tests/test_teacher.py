"""The cached, batched scoring path against a plain whole-prompt forward pass, on a real model;
cutting and encoding texts with the real tokenizer."""

import numpy as np
import pytest

from labelrisk.teachers.base import entropy
from labelrisk.teachers.prompt import Prompt, answer_token_ids, chat_frame
from labelrisk.teachers.tokenizing import Tokenizing
from labelrisk.teachers.transformers_backend import TransformersTeacher, length_batches

TEXTS = [
    "A gorgeous, witty, seductive movie.",
    "The plot is nothing but boilerplate cliches from start to finish.",
    "It's a masterpiece.",
    "Boring and far too long, with a twist you can see coming a mile away and then some.",
    "Not bad at all.",
]


@pytest.fixture(scope="module")
def teacher(models):
    return TransformersTeacher(str(models["teacher"]), dtype="float32", threads=2)


@pytest.fixture(scope="module")
def tokenizing(tokenizers):
    """The helpers every tokenizing teacher shares, on the small teacher's tokenizer alone."""
    from transformers import AutoTokenizer

    tok = Tokenizing()
    tok.tokenizer = AutoTokenizer.from_pretrained(tokenizers["teacher"])
    return tok


@pytest.mark.e2e
def test_the_checked_in_tokenizers_are_the_built_models(models, tokenizers):
    for kind in ("teacher", "student"):
        for f in tokenizers[kind].iterdir():
            assert f.read_bytes() == (models[kind] / f.name).read_bytes(), f


@pytest.mark.unit
def test_class_tokens_are_single_digits(tokenizing):
    ids = answer_token_ids(tokenizing.tokenizer, Prompt("T.", ("a", "b", "c")).answers)
    assert [tokenizing.tokenizer.decode([i]) for i in ids] == ["0", "1", "2"]


@pytest.mark.e2e
def test_cached_batched_path_matches_whole_prompts(teacher):
    frame = chat_frame(
        teacher.tokenizer,
        Prompt("Classify reviews.", ("negative", "positive")),
        [("Awful.", 0), ("Lovely.", 1), ("Dull.", 0)],
    )
    cls = answer_token_ids(teacher.tokenizer, ["0", "1"])
    texts = TEXTS
    probs = np.zeros((len(texts), 2))
    mass = np.zeros(len(texts))
    for idx, s in teacher.score(frame, texts, cls, max_tokens=64, max_batch=3):
        probs[idx], mass[idx] = s.probs, s.class_mass
    ref = teacher.score_naive([frame.full(t) for t in texts], cls)
    np.testing.assert_allclose(probs, ref.probs, atol=2e-4)
    np.testing.assert_allclose(mass, ref.class_mass, rtol=2e-3, atol=1e-6)
    assert (probs.argmax(1) == ref.probs.argmax(1)).all()
    assert np.allclose(probs.sum(1), 1) and (mass > 0).all() and (mass <= 1 + 1e-6).all()


@pytest.mark.unit
def test_truncation_respects_the_budget(tokenizing):
    cut, was_cut = tokenizing.truncate(TEXTS[3], 5)
    assert was_cut and len(tokenizing.encode(cut)) <= 6
    assert tokenizing.truncate(TEXTS[2], 50) == (TEXTS[2], False)


@pytest.mark.unit
def test_length_batches_cover_every_item_once():
    lengths = [5, 50, 7, 48, 6, 30]
    batches = list(length_batches(lengths, max_tokens=100, max_batch=3))
    assert sorted(i for b in batches for i in b) == list(range(6))
    for b in batches:
        assert len(b) <= 3 and max(lengths[i] for i in b) * len(b) <= 100


@pytest.mark.unit
def test_entropy_in_nats():
    p = np.array([[0.5, 0.5], [1.0, 0.0]])
    np.testing.assert_allclose(entropy(p), [np.log(2), 0.0], atol=1e-9)


@pytest.mark.unit
def test_prompt_ids_are_the_whole_prompt_tokenisation(tokenizing):
    """Text and suffix are encoded together, so `.` + newline stays the one token it would be."""
    frame = chat_frame(tokenizing.tokenizer, Prompt("Classify.", ("no", "yes")), [("Fine.", 1)])
    for text in ["It was good.", "Bad!", "so-so...", "A line\nbreak."]:
        assert frame.token_ids(tokenizing.encode, text) == tokenizing.encode(frame.full(text))


@pytest.mark.e2e
def test_float32_on_a_bf16_folder_keeps_bf16_weights_and_computes_as_float32(
    models, teacher, monkeypatch
):
    """The teacher's float32 path holds the folder's bf16 weights (half the memory) and gives
    what the model loaded whole in float32 gives: the weights upcast exactly, float32 arithmetic."""
    import torch
    from transformers import AutoModelForCausalLM

    from labelrisk.teachers import transformers_backend as tb

    layer = teacher.model.model.layers[0]
    assert layer.mlp.down_proj.weight.dtype == torch.bfloat16
    assert teacher.model.lm_head.weight.dtype == torch.bfloat16
    assert layer.input_layernorm.weight.dtype == torch.float32
    frame = chat_frame(
        teacher.tokenizer,
        Prompt("Classify reviews.", ("negative", "positive")),
        [("Awful.", 0), ("Lovely.", 1), ("Dull.", 0)],
    )
    cls = answer_token_ids(teacher.tokenizer, ["0", "1"])
    prompts = [frame.full(t) for t in TEXTS]
    ours = teacher.score_naive(prompts, cls)
    whole = AutoModelForCausalLM.from_pretrained(str(models["teacher"]), dtype=torch.float32)
    assert whole.model.layers[0].mlp.down_proj.weight.dtype == torch.float32
    reference = TransformersTeacher.__new__(TransformersTeacher)
    reference.tokenizer, reference.model = teacher.tokenizer, whole.eval()
    ref = reference.score_naive(prompts, cls)
    np.testing.assert_allclose(ours.probs, ref.probs, atol=1e-5)
    np.testing.assert_allclose(ours.class_mass, ref.class_mass, rtol=1e-4)
    # A head larger than UPCAST_ELEMENTS is upcast a slab of rows at a time: the same logits.
    monkeypatch.setattr(tb, "UPCAST_ELEMENTS", whole.lm_head.weight.numel() // 7)
    h = torch.randn(3, whole.config.hidden_size)
    with torch.inference_mode():
        np.testing.assert_allclose(teacher.model.lm_head(h), whole.lm_head(h), rtol=1e-5, atol=1e-4)
