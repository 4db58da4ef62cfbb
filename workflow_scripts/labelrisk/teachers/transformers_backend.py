"""Teacher LLM scoring with transformers: one forward pass per item, constrained to class tokens.

Guided decoding with a single class token followed by EOS (the paper's set-up) picks the argmax
of the first-token logits restricted to the class tokens; the class distribution is those
logits renormalised. The shared prompt prefix (instruction, labels, demonstrations) is encoded
once per member and its KV cache reused for every batch.

Float32 on a CPU (one without bf16 instructions) keeps a 16-bit folder's weights in 16 bits and
upcasts each layer's weight as it is used: float32 arithmetic on the same (exactly upcast)
values, in the memory of the 16-bit model.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from transformers import AutoModelForCausalLM, AutoTokenizer

from labelrisk.teachers.base import Scores
from labelrisk.teachers.prompt import PromptFrame
from labelrisk.teachers.tokenizing import Tokenizing


def length_batches(lengths: Sequence[int], max_tokens: int, max_batch: int) -> Iterator[list[int]]:
    """Group item indices of similar length so that padding stays small."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
    batch: list[int] = []
    for i in order:
        width = max(lengths[j] for j in [*batch, i])
        if batch and (len(batch) + 1 > max_batch or width * (len(batch) + 1) > max_tokens):
            yield batch
            batch = []
        batch.append(i)
    if batch:
        yield batch


# Weight elements upcast at once: bounds the float32 copy of a large output head (151,936 x
# 1,536 in Qwen2.5) to 128 MB; every other layer of the default's teachers is upcast whole.
UPCAST_ELEMENTS = 32 * 2**20


def _upcast_linear(self, x: torch.Tensor) -> torch.Tensor:
    rows = max(1, UPCAST_ELEMENTS // self.weight.shape[1])
    parts = [
        F.linear(
            x,
            self.weight[i : i + rows].float(),
            None if self.bias is None else self.bias[i : i + rows],
        )
        for i in range(0, self.weight.shape[0], rows)
    ]
    return parts[0] if len(parts) == 1 else torch.cat(parts, dim=-1)


def compute_in_float32(model: torch.nn.Module) -> torch.nn.Module:
    """Float32 arithmetic on a 16-bit model whose linear and embedding weights stay 16-bit:
    each linear layer upcasts its weight when called, embeddings return float32 rows, and the
    small rest (norms, biases) is held in float32."""
    for m in model.modules():
        if isinstance(m, torch.nn.Linear):
            m.forward = _upcast_linear.__get__(m)
            if m.bias is not None:
                m.bias.data = m.bias.data.float()
        elif isinstance(m, torch.nn.Embedding):
            m.register_forward_hook(lambda _m, _inp, out: out.float())
        else:
            for p in m.parameters(recurse=False):
                p.data = p.data.float()
    return model


def load_causal_lm(model_dir: str, dtype: str):
    """The model in `dtype`; float32 from a 16-bit folder computes in float32 on 16-bit
    weights (`compute_in_float32`)."""
    if dtype != "float32":
        return AutoModelForCausalLM.from_pretrained(model_dir, dtype=getattr(torch, dtype))
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype="auto")
    if model.dtype in (torch.bfloat16, torch.float16):
        return compute_in_float32(model)
    return model.float()


class TransformersTeacher(Tokenizing):
    def __init__(self, model_dir: str, dtype: str = "float32", threads: int | None = None):
        if threads:
            torch.set_num_threads(threads)
        self.tokenizer = AutoTokenizer.from_pretrained(model_dir)
        self.model = load_causal_lm(model_dir, dtype)
        self.model.eval()

    @torch.inference_mode()
    def score(
        self,
        frame: PromptFrame,
        texts: Sequence[str],
        class_ids: Sequence[int],
        max_tokens: int = 2048,
        max_batch: int = 32,
        progress=None,
    ) -> Iterator[tuple[list[int], Scores]]:
        """Yield (indices, scores) batch by batch, so callers can persist as they go."""
        prefix = self.encode(frame.prefix)
        bodies = [self.encode(frame.body(t)) for t in texts]  # as frame.token_ids does
        cache = self.model(torch.tensor([prefix]), use_cache=True).cache
        cls = torch.tensor(list(class_ids))
        for idx in length_batches([len(b) for b in bodies], max_tokens, max_batch):
            width = max(len(bodies[i]) for i in idx)
            ids = torch.full((len(idx), width), self.tokenizer.pad_token_id or 0)
            mask = torch.zeros((len(idx), len(prefix) + width), dtype=torch.long)
            mask[:, : len(prefix)] = 1
            last = torch.empty(len(idx), dtype=torch.long)
            for r, i in enumerate(idx):
                n = len(bodies[i])
                ids[r, :n] = torch.tensor(bodies[i])
                mask[r, len(prefix) : len(prefix) + n] = 1
                last[r] = n - 1
            past = copy.deepcopy(cache)
            past.batch_repeat_interleave(len(idx))
            # Right padding after a shared prefix: causal attention keeps pads out of real tokens.
            pos = torch.arange(len(prefix), len(prefix) + width).expand(len(idx), -1)
            hidden = self.model.model(
                input_ids=ids, attention_mask=mask, position_ids=pos, cache=past
            ).last_hidden_state
            h = hidden[torch.arange(len(idx)), last]
            logp = torch.log_softmax(self.model.lm_head(h).float(), dim=-1)
            cls_logp = logp[:, cls]
            mass = cls_logp.exp().sum(-1)
            probs = torch.softmax(cls_logp, dim=-1)
            if progress is not None:
                progress.update(len(idx))
            yield idx, Scores(probs=probs.numpy(), class_mass=mass.numpy())

    @torch.inference_mode()
    def score_naive(self, prompts: Sequence[str], class_ids: Sequence[int]) -> Scores:
        """Reference path: the plain forward pass of each whole prompt alone (no cache, no
        batching, logits at every position), the last position's read (tests, benchmarks)."""
        probs, mass = [], []
        cls = torch.tensor(list(class_ids))
        for p in prompts:
            out = self.model(torch.tensor([self.encode(p)]))
            logp = torch.log_softmax(out.logits[0, -1].float(), dim=-1)[cls]
            mass.append(float(logp.exp().sum()))
            probs.append(torch.softmax(logp, -1).numpy())
        return Scores(probs=np.stack(probs), class_mass=np.array(mass))
