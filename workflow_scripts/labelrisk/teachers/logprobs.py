"""Class distributions from the log-probabilities a generation engine reports for one token.

vLLM and OpenAI-compatible servers do not hand back logits: they report the log-probabilities
of the top tokens at the first generated position. The class distribution is the class tokens'
share of that, renormalised, exactly as the transformers backend renormalises its logits.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from labelrisk.teachers.base import Scores


class MissingClassLogprob(RuntimeError):
    """The engine did not report a class token's log-probability (too few top logprobs)."""


def class_scores(
    reported: Sequence[Mapping], keys: Sequence, pre_mask: bool, missing: str = "error"
) -> Scores:
    """Renormalise each item's reported log-probabilities over the class tokens.

    `reported[i]` maps a token (id or text) to its log-probability; `keys[k]` is class k's
    token. A class the engine did not report is an error by default; with `missing="zero"`
    it gets probability 0 (for engines that report only a fixed number of top tokens).
    `pre_mask` says whether the log-probabilities come before the guided-decoding mask: only
    then is the class-token mass (what the unconstrained model put on class tokens)
    meaningful; after the mask it is 1 by construction and recorded as NaN.
    """
    probs = np.zeros((len(reported), len(keys)))
    mass = np.full(len(reported), np.nan)
    for i, lp in enumerate(reported):
        row = np.full(len(keys), -np.inf)
        for k, key in enumerate(keys):
            v = lp.get(key)
            if v is None or (isinstance(v, float) and math.isnan(v)):
                if missing != "zero":
                    raise MissingClassLogprob(
                        f"item {i}: no log-probability for class {k} (token {key!r}); "
                        f"got {sorted(map(str, lp))}"
                    )
                continue
            row[k] = v
        if not np.isfinite(row).any():
            raise MissingClassLogprob(f"item {i}: every class token has probability 0")
        top = row.max()
        w = np.exp(row - top)
        probs[i] = w / w.sum()
        if pre_mask:
            mass[i] = float(np.exp(top) * w.sum())
    return Scores(probs=probs, class_mass=mass)
