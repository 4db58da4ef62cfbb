"""One dataset's test predictions, seeds x items per (label source, size), with the per-seed
scores and seed agreement the claims read (computed once per student group)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from labelrisk.artefacts.claims.pseudo import (
    Scores,
    Stability,
    chance_agreement,
    scores,
    stability,
)
from labelrisk.evaluation.metrics import CollapseRule, collapse_flags

Key = tuple[str, int]  # (label source, training-set size)


@dataclass
class Runs:
    """`preds[key]` has one row per seed of `seeds` (the same seeds, in the same order, for
    every key: a seed's students share their initialisation) and one column per test item."""

    gold: np.ndarray
    preds: dict[Key, np.ndarray]
    n_classes: int
    seeds: np.ndarray
    _scores: dict = field(default_factory=dict, repr=False)
    _stability: dict = field(default_factory=dict, repr=False)
    _chance: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_items(cls, items: pd.DataFrame, n_classes: int) -> Runs:
        """From `evaluate_source`'s per-item tables (source, size, seed, id, gold, pred)."""
        ids = np.sort(items.id.unique())
        seeds = np.sort(items.seed.unique())
        first = items.drop_duplicates("id").set_index("id")
        preds = {}
        for (src, size), sub in items.groupby(["source", "size"]):
            table = sub.pivot(index="seed", columns="id", values="pred")
            missing = set(seeds) - set(table.index)
            if missing or table.shape[1] != len(ids):
                raise ValueError(
                    f"{src} n={size}: predictions for seeds {sorted(table.index)} and "
                    f"{table.shape[1]} test items; the run has seeds {list(seeds)} and "
                    f"{len(ids)} items"
                )
            preds[(src, int(size))] = table.loc[seeds, ids].to_numpy()
        return cls(first.loc[ids, "gold"].to_numpy(), preds, n_classes, seeds)

    def scores(self, key: Key) -> Scores:
        if key not in self._scores:
            self._scores[key] = scores(self.gold, self.preds[key], self.n_classes)
        return self._scores[key]

    def stability(self, key: Key) -> Stability | None:
        """Agreement between seeds; None with fewer than 3 seeds (no seed jackknife)."""
        if len(self.seeds) < 3:
            return None
        if key not in self._stability:
            self._stability[key] = stability(self.preds[key], self.n_classes)
        return self._stability[key]

    def same(self, *keys: Key) -> bool:
        """Whether the students of these keys predict the same class on every item and seed."""
        return all(np.array_equal(self.preds[keys[0]], self.preds[k]) for k in keys[1:])

    def chance(self, key: Key) -> tuple[float, np.ndarray]:
        """The agreement between seeds the students' confusion alone implies, with its
        pseudo-values (pseudo.chance_agreement)."""
        if key not in self._chance:
            self._chance[key] = chance_agreement(self.gold, self.preds[key], self.n_classes)
        return self._chance[key]

    def collapsed(self, key: Key, rule: CollapseRule) -> list[tuple[int, float]]:
        """(seed, largest predicted-class share) of every seed's student `rule` flags."""
        largest = self.scores(key).largest_share
        flags = collapse_flags(self.gold, self.preds[key], self.n_classes, rule)
        return [(int(s), float(x)) for s, x, f in zip(self.seeds, largest, flags, strict=True) if f]

    def one_class(self, key: Key) -> bool:
        """Whether every student of `key` answers one class on every item."""
        return bool((self.scores(key).largest_share == 1).all())
