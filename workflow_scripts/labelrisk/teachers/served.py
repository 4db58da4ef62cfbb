"""What the two server teachers (chat and completions) share: their options, the server they
talk to, the record of what they sent, and the handling of answers without a label."""

from __future__ import annotations

import json
import logging
from collections import Counter

import numpy as np

from labelrisk.teachers.answers import label_words_error
from labelrisk.teachers.server import Server

log = logging.getLogger(__name__)

CONSTRAINTS = ("structured_outputs", "guided_choice", "gbnf", "logit_bias", "none")
NO_LABEL = ("error", "uniform")
# `openai` options handed to the Server (connection handling, limits, retries).
SERVER_OPTIONS = (
    "api_key_env",
    "concurrency",
    "requests_per_minute",
    "tokens_per_minute",
    "max_retries",
    "backoff",
    "max_wait",
    "timeout",
)
# The logit bias that puts every label token above any other (OpenAI's largest).
LABEL_BIAS = 100


class NoLabelError(RuntimeError):
    """Items whose reported top tokens hold no label answer, with `openai.no_label: error`."""


class LowLabelMassError(RuntimeError):
    """The pool's mean label mass is below `openai.min_mean_label_mass`."""


def came_back(tokens: Counter, n: int = 8) -> str:
    """The most frequent answers (first tokens or texts) the server gave, for messages."""
    return ", ".join(f"{t!r} x{c}" for t, c in tokens.most_common(n)) or "nothing"


def constraint_body(kind: str, answers, token_ids=None) -> dict:
    """Request fields that restrict the answer to one of `answers`."""
    if kind == "structured_outputs":
        return {"structured_outputs": {"choice": list(answers)}}
    if kind == "guided_choice":
        return {"guided_choice": list(answers)}
    if kind == "gbnf":
        return {"grammar": "root ::= " + " | ".join(json_string(a) for a in answers)}
    if kind == "logit_bias":
        if token_ids is None:
            raise ValueError("logit_bias needs the label tokens' ids")
        return {"logit_bias": {str(t): LABEL_BIAS for t in token_ids}}
    if kind == "none":
        return {}
    raise ValueError(f"unknown constraint {kind!r}; one of {CONSTRAINTS}")


def json_string(text: str) -> str:
    """A GBNF string literal (its escapes are JSON's)."""
    return json.dumps(text)


class ServedTeacher:
    """Base of the server teachers: one `Server`, the model it reports, the no-label policy."""

    caches_answers = True  # the answer cache is their journal

    def __init__(self, options: dict, cache: str | None):
        opts = dict(options)
        self.base_url = opts["base_url"]
        self.model = opts["model"]
        self.constraint = opts.get("constraint", "structured_outputs")
        if self.constraint not in CONSTRAINTS:
            raise ValueError(f"unknown constraint {self.constraint!r}; one of {CONSTRAINTS}")
        # Unconstrained answers are the model's own distribution, so the class mass is seen.
        self.pre_mask = bool(opts.get("pre_mask", False)) or self.constraint == "none"
        self.top_logprobs = int(opts.get("top_logprobs", 20))
        self.chunk_size = int(opts.get("chunk_size", 64))
        self.no_label = opts.get("no_label", "error")
        if self.no_label not in NO_LABEL:
            raise ValueError(f"openai.no_label must be one of {NO_LABEL}, not {self.no_label!r}")
        self.label_token_ids = opts.get("label_token_ids")
        self.min_label_mass = float(opts.get("min_label_mass", 0.5))
        self.min_mean_label_mass = float(opts.get("min_mean_label_mass", 0.5))
        self.price = opts.get("price")
        self.logprobs = bool(opts.get("logprobs", True))
        self.samples = int(opts.get("samples", 5))
        self.temperature = opts.get("temperature", 1.0)
        self.max_answer_tokens = int(opts.get("max_answer_tokens", 16))
        self.max_tokens_field = opts.get("max_tokens_field")
        self.reasoning_effort = opts.get("reasoning_effort")
        if not self.logprobs:
            self.no_label_reason = f"none of the {self.samples} written answers names a label"
            self.no_label_fix = (
                "Ask for the label alone in the prompt, or raise openai.max_answer_tokens"
            )
        # Items without a label or with a low label mass; written answers read and unparsed.
        self.counts: Counter = Counter()
        self.server = Server(
            self.base_url, cache=cache, **{k: opts[k] for k in SERVER_OPTIONS if k in opts}
        )
        self.model_id = self.server.model_identity(self.model, opts.get("revision"))
        # The cache key's model: what was configured, whether or not /models answered.
        self.cache_model = {"id": self.model, "revision": opts.get("revision")}
        log.info("server %s, model %s", self.base_url, self.model_id)

    def identity(self) -> dict:
        return {"endpoint": self.server.base_url, "model": self.model_id}

    def record(self) -> dict:
        """The `server` entry of a member's `.json`."""
        usage = self.server.usage.record(self.price, self.server.limiter.waited)
        return {**self.identity(), **usage, **{k: int(v) for k, v in self.counts.items()}}

    def check_labels(self, prompt) -> None:
        """Labels an answer could not tell apart (`Yes` and `yes.`) are refused."""
        problem = label_words_error(prompt.labels, "the dataset's labels")
        if problem:
            raise ValueError(problem)

    def check_no_label(self, flagged: list[int], texts, tokens: Counter | None = None) -> None:
        """Stop (after every answer is cached) or log the items without a label answer."""
        self.counts["no_label_items"] += len(flagged)
        if not flagged:
            return
        first = ", ".join(f"#{i} {texts[i][:40]!r}" for i in flagged[:3])
        msg = (
            f"{len(flagged)} of {len(texts)} items: {self.no_label_reason} (e.g. {first}); "
            f"the server answered {came_back(tokens or Counter())}"
        )
        if self.no_label == "error":
            raise NoLabelError(
                f"{msg}. Their answers are cached. {self.no_label_fix}, or set "
                f"openai.no_label: uniform to keep them flagged (`no_label` column: never a "
                f"class, left out of the teacher's training sets)"
            )
        log.warning("%s: kept flagged `no_label` (never a class)", msg)

    no_label_reason = "no label answer among the top reported tokens"
    no_label_fix = "Constrain the answer (openai.constraint) or ask for more top_logprobs"

    def check_label_mass(self, mass: np.ndarray, no_label: np.ndarray, texts, tokens) -> None:
        """Flag items whose label mass is below `min_label_mass`; stop when the mean over the
        items with a label is below `min_mean_label_mass` (the model mostly answered something
        else), naming what came back. Skipped where the mass is not observed (NaN)."""
        seen = ~np.isnan(mass) & ~no_label
        if not seen.any():
            return
        low = np.flatnonzero(seen & (mass < self.min_label_mass))
        self.counts["low_label_mass_items"] += len(low)
        if len(low):
            log.warning(
                "%d of %d items put less than %g of their answer on the labels (e.g. %s)",
                len(low),
                len(texts),
                self.min_label_mass,
                ", ".join(f"#{i} {mass[i]:.2f}" for i in low[:5]),
            )
        mean = float(mass[seen].mean())
        if mean < self.min_mean_label_mass:
            raise LowLabelMassError(
                f"the teacher put {mean:.2f} of its answers on the labels on average, below "
                f"openai.min_mean_label_mass ({self.min_mean_label_mass:g}): it mostly answers "
                f"something else. Most frequent answers: {came_back(tokens)}. Change the prompt "
                f"or labels so the model answers one of {self.answers_shown}, constrain the "
                f"answer (openai.constraint), or lower openai.min_mean_label_mass. The answers "
                f"are cached"
            )

    answers_shown: list = []

    def answer_token_ids(self, answers) -> list[int]:
        """The label tokens' ids for `logit_bias`: configured, or from the server's /tokenize
        (vLLM, llama.cpp); each answer must be one token."""
        if self.label_token_ids is not None:
            ids = list(self.label_token_ids)
            if len(ids) != len(answers):
                raise ValueError(
                    f"openai.label_token_ids has {len(ids)} ids for {len(answers)} labels"
                )
            return ids
        ids = []
        for a in answers:
            toks = self.tokenize(a)
            if toks is None:
                raise ValueError(
                    "constraint logit_bias needs the label tokens' ids: the server offers no "
                    "/tokenize, so set openai.label_token_ids (one id per label, in label order)"
                )
            if len(toks) != 1:
                raise ValueError(
                    f"answer {a!r} is {len(toks)} tokens for the server's tokenizer; logit_bias "
                    f"needs one-token answers (use another constraint, or `prompt.answer: ids`)"
                )
            ids.append(toks[0])
        return ids

    _tokenizes: bool | None = None

    def tokenize(self, text: str) -> list[int] | None:
        """The server's tokenisation of `text` (vLLM's and llama.cpp's /tokenize), or None when
        it offers none."""
        if self._tokenizes is False:
            return None
        body = {"model": self.model, "prompt": text, "content": text}
        body |= {"add_special_tokens": False, "add_special": False}
        try:
            out = self.server.request("/tokenize", body, retry=self._tokenizes is True)
        except Exception as e:  # noqa: BLE001 - any failure means: no tokenizer to ask
            if self._tokenizes is None:
                log.info("%s offers no /tokenize (%s)", self.server, e)
                self._tokenizes = False
                return None
            raise
        self._tokenizes = True
        return list(out["tokens"])

    def detokenize(self, ids: list[int]) -> str:
        out = self.server.request("/detokenize", {"model": self.model, "tokens": ids})
        return out["prompt"] if "prompt" in out else out["content"]

    def truncate(self, text: str, budget: int) -> tuple[str, bool]:
        """Cut a text to at most `budget` of the server's tokens.

        A text of at most `budget` UTF-8 bytes is never longer than `budget` tokens, so it is
        kept without asking. Longer texts are cut through the server's /tokenize and
        /detokenize, as the local backends cut them; a server without them (hosted APIs) gets
        the first 4 x `budget` characters (about `budget` tokens of English).
        """
        if len(text.encode()) <= budget:
            return text, False
        ids = self.tokenize(text)
        if ids is None:
            cut = text[: 4 * budget]
            return cut, cut != text
        if len(ids) <= budget:
            return text, False
        return self.detokenize(ids[:budget]), True
