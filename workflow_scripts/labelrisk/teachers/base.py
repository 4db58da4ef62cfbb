"""What every teacher backend shares: the scores it returns, entropy, and the columns that hold
a class distribution in a table.

Free of torch, so the vLLM and server paths import only what they use.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Scores:
    probs: np.ndarray  # (n, K) renormalised over the label answers
    # (n,) probability the model put on the label answers at all; NaN where the engine reports
    # log-probabilities after the guided-decoding mask (then it is 1 by construction).
    class_mass: np.ndarray
    # (n,) items whose reported tokens held no label answer (server teachers; see
    # labelrisk.teachers.logprobs); their `probs` are uniform.
    no_label: np.ndarray | None = None
    # (n,) the label where the distribution alone does not decide it: an answer-only teacher's
    # tied counts go to the tied class answered first (a random draw), not the first class.
    pred: np.ndarray | None = None


def probability_columns(frame) -> list[str]:
    """A table's class-distribution columns p_0..p_{K-1} in class order (p_10 after p_9):
    annotations, soft label sets; empty when it has none."""
    return sorted((c for c in frame if c.startswith("p_")), key=lambda c: int(c[2:]))


def entropy(probs: np.ndarray) -> np.ndarray:
    """Shannon entropy in nats of each row."""
    p = np.clip(probs, 1e-12, 1.0)
    return -(probs * np.log(p)).sum(axis=1)
