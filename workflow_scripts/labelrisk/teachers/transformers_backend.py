"""Teacher LLM scoring with transformers: one forward pass per item, constrained to class tokens.

Guided decoding with a single class token followed by EOS (the paper's set-up) picks the argmax
of the first-token logits restricted to the class tokens; the class distribution is those
logits renormalised. The shared prompt prefix (instruction, labels, demonstrations) is encoded
once per member and its KV cache reused for every batch.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence

import numpy as np
import torch
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


class TransformersTeacher(Tokenizing):
    def __init__(self, model_dir: str, dtype: str = "float32", threads: int | None = None):
        if threads:
            torch.set_num_threads(threads)
        self.tokenizer = AutoTokenizer.from_pretrained(model_dir)
        self.model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=getattr(torch, dtype))
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
