"""The product's training set: the study's pool and the unlabelled rows, labelled by the chosen
source from the teacher's answers, as the study's label sets are (labelrisk.labels.label_sets),
and the study's validation set for model selection."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence

import numpy as np
import pandas as pd

from labelrisk.labels.label_sets import build
from labelrisk.product.unlabelled import normalised

log = logging.getLogger(__name__)

NO_GOLD = -1  # the gold label of an unlabelled row


class LeakError(RuntimeError):
    pass


def members(study: Sequence[pd.DataFrame], product: Sequence[pd.DataFrame]) -> list[pd.DataFrame]:
    """Each member's answers on pool, validation set and unlabelled rows, indexed by id."""
    return [
        pd.concat([s, p], ignore_index=True).set_index("id")
        for s, p in zip(study, product, strict=True)
    ]


def training_set(
    source: str,
    pool: pd.DataFrame,
    val: pd.DataFrame,
    unlabelled: pd.DataFrame,
    answers: list[pd.DataFrame],
    seed: int,
    **build_kwargs,
) -> tuple[pd.DataFrame, pd.DataFrame, Counter]:
    """(train, val, counts). A row the source sends to gold annotators that has no gold (an
    unlabelled row) is left out, counted as `no_gold`, never trained on a made-up label; rows a
    filter drops are counted as `filtered`."""
    rest = unlabelled[["id", "text"]].assign(label=NO_GOLD)
    items = pd.concat([pool[["id", "text", "label"]], rest], ignore_index=True)
    (sets,) = build(source, items, val, answers, [len(items)], [seed], **build_kwargs).values()
    train = sets[sets.split == "train"]
    no_gold = train.is_gold.to_numpy(bool) & (train.gold.to_numpy() == NO_GOLD)
    counts = Counter(
        filtered=int((sets.split == "dropped").sum()),
        no_gold=int(no_gold.sum()),
    )
    if counts["no_gold"]:
        log.warning("left out %d unlabelled rows the source sends to gold", counts["no_gold"])
    train = train[~no_gold].reset_index(drop=True)
    counts["train"] = len(train)
    counts["gold_train"] = int(train.is_gold.sum())
    counts["teacher_labelled"] = len(train) - counts["gold_train"]
    counts["unlabelled_rows"] = int(train.id.isin(set(unlabelled.id)).sum())
    val_set = sets[sets.split == "val"].reset_index(drop=True)
    counts["gold_val"] = int(val_set.is_gold.sum())
    return train, val_set, counts


def check_no_leak(
    train: pd.DataFrame, unlabelled: pd.DataFrame, held_out: dict[str, pd.DataFrame]
) -> None:
    """Stop if a training row from the unlabelled table has a validation or test item's text
    (whitespace-normalised). The pool's rows are the study's, checked by its split."""
    text = set(normalised(train.text[train.id.isin(set(unlabelled.id))]))
    for name, part in held_out.items():
        hit = int(np.isin(normalised(part.text), list(text)).sum())
        if hit:
            raise LeakError(f"{hit} {name} items are in the product's training set")
