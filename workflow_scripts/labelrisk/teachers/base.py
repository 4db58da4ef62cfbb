"""What every teacher backend shares: the class-token ids, the scores it returns, entropy.

Free of torch, so the vLLM and server paths import only what they use.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def class_token_ids(tokenizer, n_classes: int) -> list[int]:
    """Token id of each class id `0`..`K-1`; each must be a single token."""
    ids = []
    for k in range(n_classes):
        toks = tokenizer.encode(str(k), add_special_tokens=False)
        if len(toks) != 1:
            raise ValueError(f"class id {k!r} is {len(toks)} tokens for this tokenizer; need 1")
        ids.append(toks[0])
    return ids


@dataclass
class Scores:
    probs: np.ndarray  # (n, K) renormalised over class tokens
    class_mass: np.ndarray  # (n,) total probability the model put on class tokens


def entropy(probs: np.ndarray) -> np.ndarray:
    """Shannon entropy in nats of each row."""
    p = np.clip(probs, 1e-12, 1.0)
    return -(probs * np.log(p)).sum(axis=1)
