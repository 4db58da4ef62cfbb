"""What a fine-tuning run did, and whether it ever left its start.

A run whose training loss stays at the entropy of its labels has learned nothing the label
frequencies do not already say (Mosbach et al. 2021 call these failed runs); a student that
answers one class for most of the test set is near-collapsed. Both are logged by name.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from labelrisk.teachers.base import probability_columns

log = logging.getLogger("labelrisk.students.train")

# A run left its start when its last-epoch training loss fell below this share of the prior's.
LEFT_START = 0.9
# A student answering one class for at least this share of the test set is near-collapsed.
COLLAPSED = 0.9


def prior_loss(train: pd.DataFrame, n_classes: int) -> float:
    """Cross-entropy of always predicting the training labels' mean distribution: its entropy
    (ln K for balanced labels, 0 for labels of one class)."""
    cols = probability_columns(train)
    if cols:
        q = train[cols].to_numpy(float).mean(0)
    else:
        q = np.bincount(train.label.to_numpy(int), minlength=n_classes) / len(train)
    q = q[q > 0]
    return float(-(q * np.log(q)).sum())


def left_start(losses: Sequence[float], prior: float) -> bool:
    return bool(losses) and losses[-1] < LEFT_START * prior


def derived_seed(seed: int, attempt: int) -> int:
    """The seed of restart `attempt` (0: the run's own); never one of the grid's small seeds."""
    return seed + 100_003 * attempt


@dataclass
class Fit:
    """Mean training loss and validation macro-F1 per epoch, the prior's loss, the seeds tried
    (the last one trained the student) and the largest predicted-class share on the test set."""

    size: int
    seed: int
    prior_loss: float
    losses: list[float]
    val_f1: list[float]
    seeds_tried: list[int]
    test_share: float
    test_class: int

    @property
    def left_start(self) -> bool:
        return left_start(self.losses, self.prior_loss)

    @property
    def best_epoch(self) -> int:
        return int(np.argmax(self.val_f1)) + 1 if self.val_f1 else 0

    def log(self) -> None:
        run = f"{self.size} items, seed {self.seed}"
        log.info(
            "%s: training loss by epoch %s (label prior %.3f), validation macro-F1 %s, best "
            "epoch %d, largest predicted-class share on test %.3f (class %d)",
            run,
            " ".join(f"{x:.3f}" for x in self.losses),
            self.prior_loss,
            " ".join(f"{x:.3f}" for x in self.val_f1),
            self.best_epoch,
            self.test_share,
            self.test_class,
        )
        if not self.left_start and self.prior_loss > 0:
            log.warning(
                "%s: the training loss never left the label prior (%d seeds tried: %s)",
                run,
                len(self.seeds_tried),
                " ".join(map(str, self.seeds_tried)),
            )
        if self.test_share >= COLLAPSED:
            log.warning(
                "%s: near-collapsed, class %d predicted for %.1f%% of the test set",
                run,
                self.test_class,
                100 * self.test_share,
            )
