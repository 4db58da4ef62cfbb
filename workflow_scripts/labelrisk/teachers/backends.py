"""The teacher backends, declared once.

A backend is one `Backend` descriptor: its rules, software environment, GPU and local-rule
status, whether it asks a server, its option block in a teacher entry, the option naming its
API-key variable, the options that never change a score, whether it runs in a worker of its own
interpreter, and how to open its teacher. The rules, the grid checks, the plan, preflight, the
profiles' test and the journal key read this table; a new backend is a descriptor here, its
teacher module and its test (docs/development.md, "A new backend").

Kept free of torch and HTTP clients: Snakemake imports it at parse time.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from importlib import import_module
from typing import Protocol, runtime_checkable

from labelrisk.platforms import GPU_IMAGE

DEFAULT = "transformers"
KINDS = ("annotate", "content_free", "product_annotate")  # the rules every backend has

# `openai` options that never change a score: connection handling, limits, prices, the name
# of the API-key variable, the no-label policy (it stops a job or keeps its rows flagged).
SERVER_SCORE_FREE = frozenset(
    {
        "api_key_env",
        "concurrency",
        "chunk_size",
        "max_retries",
        "backoff",
        "max_wait",
        "timeout",
        "requests_per_minute",
        "tokens_per_minute",
        "price",
        "no_label",
    }
)

# `batch` options (backend openai_batch): how long to wait and what it costs.
BATCH_SCORE_FREE = frozenset({"poll_seconds", "timeout_hours", "completion_window", "discount"})


@runtime_checkable
class Teacher(Protocol):
    """What the annotation journal (labelrisk.annotation.journal) and job ask of a teacher.

    `truncate(text, budget)` cuts a text to at most `budget` teacher tokens and says whether it
    cut; `score_items(prompt, demos, texts, batch_tokens, max_batch, progress)` yields
    (indices into `texts`, labelrisk.teachers.base.Scores). A teacher with `caches_answers`
    keeps its own answers (a server's answer cache) and gets no journal; one with `record()`
    adds what it sent and paid to the member's `.json` (`server`).
    """

    def truncate(self, text: str, budget: int) -> tuple[str, bool]: ...

    def score_items(
        self,
        prompt,
        demos: Sequence[tuple[str, int]],
        texts: Sequence[str],
        max_tokens: int = 2048,
        max_batch: int = 32,
        progress=None,
    ) -> Iterator[tuple[list[int], object]]: ...


@dataclass(frozen=True)
class Backend:
    """One backend.

    `suffix`: of its rules' names (`annotate<suffix>`, `content_free<suffix>`); `env`: its
    environment under envs/ (by platform: labelrisk.platforms); `gpu`: its jobs ask for
    `compute.annotate.gpu` GPUs (else none); `local_rule`: its jobs run where Snakemake runs
    (HTTP only; the answer cache's WAL is safe there); `server`: it asks a server (answers cached,
    no journal, priced by `openai.price`); `folder`: it reads resources/teachers/<id> (weights,
    or only the tokenizer); `options`: its option block in a teacher entry, `extra` further blocks
    of its own; `key_option`: the
    option naming its API-key variable; `score_free`: the options that never change a score
    (left out of the journal key); `own_process`: runs in a worker under its own interpreter;
    `preflight`: `snakemake preflight` starts it and scores one prompt; `image`: a container
    image, where it has one; `opens`: "module:function" building its teacher from
    (teacher entry, model folder, threads, answer cache); `threads`/`mem_mb`: a job's fixed
    threads and memory, for a light job (None: `compute.annotate`'s threads, and its memory,
    at least `mem_mb`, growing with the attempt).
    """

    name: str
    suffix: str
    env: str
    opens: str
    gpu: bool = False
    local_rule: bool = False
    server: bool = False
    folder: bool = True
    options: str | None = None
    extra: tuple[str, ...] = ()
    key_option: str | None = None
    score_free: frozenset[str] = field(default_factory=frozenset)
    own_process: bool = False
    preflight: bool = False
    image: str | None = None
    threads: int | None = None
    mem_mb: int | None = None

    def rule(self, kind: str) -> str:
        if kind not in KINDS:
            raise ValueError(f"unknown rule kind {kind!r}; one of {KINDS}")
        return f"{kind}{self.suffix}"

    def blocks(self) -> tuple[str, ...]:
        return ((self.options,) if self.options else ()) + self.extra

    def rules(self) -> tuple[str, ...]:
        return tuple(self.rule(k) for k in KINDS)

    def open(self, teacher_cfg: dict, model_dir, threads=None, cache=None) -> Teacher:
        module, _, name = self.opens.partition(":")
        return getattr(import_module(module), name)(teacher_cfg, model_dir, threads, cache)


_REGISTRY: dict[str, Backend] = {}


def register(b: Backend) -> Backend:
    if b.name in _REGISTRY:
        raise ValueError(f"backend {b.name!r} is registered twice")
    _REGISTRY[b.name] = b
    return b


def registered() -> list[Backend]:
    return list(_REGISTRY.values())


def names() -> tuple[str, ...]:
    return tuple(_REGISTRY)


def get(name: str) -> Backend:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown teacher backend {name!r}; one of {names()}") from None


def of(teacher_cfg: dict) -> Backend:
    """The backend of a teacher's config entry (`backend`, default transformers)."""
    return get(teacher_cfg.get("backend", DEFAULT))


def by_rule(rule: str) -> Backend | None:
    """The backend whose annotate or content_free rule this is (None: not a backend's rule)."""
    return next((b for b in registered() if rule in b.rules()), None)


def option_blocks() -> set[str]:
    """Every backend's option blocks (a teacher entry keeps only its own backend's)."""
    return {o for b in registered() for o in b.blocks()}


def score_free(block: str) -> frozenset[str]:
    """The settings of option block `block` (e.g. `openai`) that never change a score."""
    return frozenset().union(*(b.score_free for b in registered() if block in b.blocks()))


def key_variable(teacher_cfg: dict) -> str | None:
    """The name (never the value) of the API-key variable a teacher's server reads."""
    b = of(teacher_cfg)
    if not b.key_option:
        return None
    return (teacher_cfg.get(b.options) or {}).get(b.key_option)


def missing_keys(config: dict, teachers) -> list[str]:
    """Where each of `teachers` whose API-key variable is not set names it (the config key,
    never the value: a key pasted in place of a name stays off the console)."""
    out = []
    for t in sorted(set(teachers)):
        entry = config["teachers"][t]
        if (var := key_variable(entry)) and var not in os.environ:
            b = of(entry)
            out.append(
                f"teachers.{t}.{b.options}.{b.key_option}: the environment variable it names "
                f"is not set; export the API key under that name before running"
            )
    return out


def batch_price(price: dict | None, discount: float) -> dict | None:
    """`openai.price` at the batch discount (None without both prices)."""
    if not price or price.get("prompt") is None or price.get("completion") is None:
        return None
    return {k: price[k] * discount for k in ("prompt", "completion")}


def price(teacher_cfg: dict) -> dict | None:
    """US dollars per million prompt and completion tokens a server teacher pays: its
    `openai.price`, at `batch.discount` for a batch backend."""
    b = of(teacher_cfg)
    listed = (teacher_cfg.get(b.options) or {}).get("price") if b.options else None
    if "batch" not in b.extra:
        return listed
    discount = (teacher_cfg.get("batch") or {}).get("discount", 0.5)
    return batch_price(listed, discount)


def local_rules() -> list[str]:
    return [r for b in registered() if b.local_rule for r in b.rules()]


# Opening functions (lazy imports: a backend's libraries load only in its own jobs).
_HERE = "labelrisk.teachers.registry"

register(
    Backend(
        "transformers",
        suffix="",
        env="models",
        opens=f"{_HERE}:open_transformers",
        gpu=True,
    )
)
register(
    Backend(
        "vllm",
        suffix="_vllm",
        env="annotation-vllm",
        opens=f"{_HERE}:open_vllm",
        gpu=True,
        options="vllm",
        own_process=True,
        preflight=True,
        image=GPU_IMAGE,
        mem_mb=8000,
    )
)
register(
    Backend(
        "openai",
        suffix="_openai",
        env="annotation-completions",
        opens=f"{_HERE}:open_openai",
        local_rule=True,
        server=True,
        options="openai",
        key_option="api_key_env",
        score_free=SERVER_SCORE_FREE,
        threads=1,
        mem_mb=2000,
    )
)
register(
    Backend(
        "openai_chat",
        suffix="_chat",
        env="annotation-chat",
        opens=f"{_HERE}:open_chat",
        local_rule=True,
        server=True,
        folder=False,
        options="openai",
        key_option="api_key_env",
        score_free=SERVER_SCORE_FREE,
        threads=1,
        mem_mb=1000,
    )
)
register(
    Backend(
        "openai_batch",
        suffix="_batch",
        env="annotation-chat",
        opens=f"{_HERE}:open_batch",
        local_rule=True,
        server=True,
        folder=False,
        options="openai",
        extra=("batch",),
        key_option="api_key_env",
        score_free=SERVER_SCORE_FREE | BATCH_SCORE_FREE,
        threads=1,
        mem_mb=1000,
    )
)
