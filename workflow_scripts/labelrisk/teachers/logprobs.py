"""Class distributions from the log-probabilities a generation engine reports for one token.

vLLM and OpenAI-compatible servers do not hand back logits: they report the log-probabilities
of the top tokens at the first generated position. The class distribution is the label answers'
share of that, renormalised, exactly as the transformers backend renormalises its logits; what
lies outside the label answers is the off-label mass, observable only when the engine reports
log-probabilities before its guided-decoding mask (`pre_mask`).

An item whose reported tokens hold no label answer at all has no class distribution. It is
flagged (`Scores.no_label`) and given the uniform distribution as a placeholder; the server
backends then stop the job or keep it flagged, as `openai.no_label` says.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from labelrisk.teachers.answers import normalise
from labelrisk.teachers.base import Scores


class MissingClassLogprob(RuntimeError):
    """The engine did not report a class token's log-probability (too few top logprobs)."""


def _prob(logprob) -> float:
    """exp of a reported log-probability; servers write -inf as a large negative number."""
    if logprob is None or (isinstance(logprob, float) and math.isnan(logprob)):
        return 0.0
    return math.exp(logprob) if logprob > -1e4 else 0.0


def to_scores(mass: np.ndarray, pre_mask: bool) -> Scores:
    """Renormalise each row of label masses; rows without any mass are flagged `no_label`."""
    mass = np.asarray(mass, dtype=np.float64)
    total = mass.sum(axis=1)
    none = total <= 0
    probs = np.full_like(mass, 1.0 / mass.shape[1])
    probs[~none] = mass[~none] / total[~none, None]
    class_mass = total if pre_mask else np.full(len(mass), np.nan)
    return Scores(probs=probs, class_mass=class_mass, no_label=none)


def class_scores(
    reported: Sequence[Mapping], keys: Sequence, pre_mask: bool, missing: str = "error"
) -> Scores:
    """Scores from each item's reported log-probabilities, keyed exactly by answer token.

    `reported[i]` maps a token (id or text) to its log-probability; `keys[k]` is class k's
    token. A class the engine did not report is an error by default (vLLM under guided choice
    reports every class); with `missing="zero"` it gets probability 0 (for engines that report
    only a fixed number of top tokens). `pre_mask` says whether the log-probabilities come
    before the guided-decoding mask: only then is the class mass (what the unconstrained model
    put on the label answers) meaningful; after the mask it is 1 by construction, recorded NaN.
    """
    mass = np.zeros((len(reported), len(keys)))
    for i, lp in enumerate(reported):
        for k, key in enumerate(keys):
            if lp.get(key) is None and missing != "zero":
                raise MissingClassLogprob(
                    f"item {i}: no log-probability for class {k} (token {key!r}); "
                    f"got {sorted(map(str, lp))}"
                )
            mass[i, k] = _prob(lp.get(key))
    return to_scores(mass, pre_mask)


def prefix_mass(top: Sequence[tuple[str, float]], answers: Sequence[str]) -> np.ndarray:
    """Probability of each answer among one position's reported top tokens, by token text.

    Tokens and answers are compared after `labelrisk.teachers.answers.normalise`: `Negative`,
    ` negative` and `negative.` all count for `negative`. A token counts for an answer when the
    answer begins with it and no other answer does: a one-token answer is its token; a word
    the server's tokenizer splits is every reported token that begins it (guided decoding may
    start a word with any of its prefixes). A token that begins several answers (`ne` of
    negative and neutral) is off-label: it does not say which.
    """
    keys = [normalise(a) for a in answers]
    mass = np.zeros(len(answers))
    for token, logprob in top:
        token = normalise(token or "")
        if not token:
            continue
        hits = [k for k, a in enumerate(keys) if a.startswith(token)]
        if len(hits) == 1:
            mass[hits[0]] += _prob(logprob)
    return mass
