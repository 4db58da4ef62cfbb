"""Training on the teacher's class distribution: cross-entropy against soft targets.

A label set carries p_0..p_{K-1} when the student should learn the distribution rather than
the argmax; `students.train` then wraps its training set and uses this Trainer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from transformers import Trainer

from labelrisk.teachers.base import probability_columns


def soft_cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean over items of -sum_k q_k log softmax(logits)_k."""
    return -(targets * torch.log_softmax(logits.float(), -1)).sum(-1).mean()


class SoftTargets(torch.utils.data.Dataset):
    """A tokenised training set with each item's target distribution under `soft_labels`."""

    def __init__(self, encoded: torch.utils.data.Dataset, probs: np.ndarray):
        if len(encoded) != len(probs):
            raise ValueError("one target distribution per training item is needed")
        self.encoded, self.probs = encoded, np.asarray(probs, dtype=np.float32)

    def __len__(self):
        return len(self.encoded)

    def __getitem__(self, i):
        return {**self.encoded[i], "soft_labels": self.probs[i].tolist()}


class SoftTargetTrainer(Trainer):
    """Soft cross-entropy on batches with `soft_labels`; the usual loss otherwise (evaluation)."""

    def compute_loss(self, model, inputs, return_outputs=False, **kwargs):
        if "soft_labels" not in inputs:
            return super().compute_loss(model, inputs, return_outputs=return_outputs, **kwargs)
        targets = inputs.pop("soft_labels")
        inputs.pop("labels", None)
        outputs = model(**inputs)
        loss = soft_cross_entropy(outputs.logits, targets.to(outputs.logits.device))
        return (loss, outputs) if return_outputs else loss


def soft_training(train: pd.DataFrame, encoded: torch.utils.data.Dataset):
    """(Trainer class, training dataset) for a training frame: soft when it has p_k columns."""
    cols = probability_columns(train)
    if not cols:
        return Trainer, encoded
    return SoftTargetTrainer, SoftTargets(encoded, train[cols].to_numpy())
