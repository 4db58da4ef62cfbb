"""A student to keep: one run of the study re-trained from its label set with the study's recipe,
saved as a Hugging Face model folder with its tokenizer, the dataset's label names and a model
card. The run is trained in its own job (the study's jobs keep no weights), and its test
predictions must equal the study's run's: the folder is that run's student, not a new one.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd


class ExportError(RuntimeError):
    pass


def name_labels(folder: str | Path, model_dir: str | Path, labels: Sequence[str]) -> None:
    """Save the tokenizer beside the weights and name the classes in the model's config."""
    from transformers import AutoConfig, AutoTokenizer

    AutoTokenizer.from_pretrained(model_dir).save_pretrained(folder)
    config = AutoConfig.from_pretrained(folder)
    config.id2label = dict(enumerate(labels))
    config.label2id = {name: k for k, name in enumerate(labels)}
    config.save_pretrained(folder)


def check_same(exported: pd.DataFrame, study: pd.DataFrame) -> None:
    """The re-trained run predicts every test item as the study's run did."""
    merged = study.merge(exported, on="id", suffixes=("_study", "_export"))
    if len(merged) != len(study) or len(merged) != len(exported):
        raise ExportError(f"test items differ: {len(study)} in the study, {len(exported)} here")
    differ = int((merged.pred_study != merged.pred_export).sum())
    if differ:
        raise ExportError(
            f"the re-trained run predicts {differ} of {len(merged)} test items differently from "
            "the study's run: the recipe, the label set or the software changed since"
        )


def card(
    *,
    dataset: str,
    labels: Sequence[str],
    source: str,
    teacher: str | None,
    size: int,
    seed: int,
    base: dict,
    metrics: pd.Series,
    verdicts: Sequence[str] = (),
) -> str:
    """The model card (README.md): what the student is, what it was trained on and how it
    scored on the held-out gold test set over the study's seeds."""
    pct = lambda m: f"{100 * metrics[f'{m}_mean']:.1f} ± {100 * metrics[f'{m}_std']:.1f}"  # noqa: E731
    parts = ", ".join(p["requirement"] for p in base.get("parts") or [])
    origin = base.get("repo") or base.get("path") or parts or base.get("kind", "")
    revision = f" at revision `{base['revision']}`" if base.get("revision") else ""
    labels_by = f"the teacher `{teacher}`" if teacher else "gold annotators"
    lines = [
        "---",
        "library_name: transformers",
        "pipeline_tag: text-classification",
        "---",
        "",
        f"# {dataset}: {source}, {size} training items, seed {seed}",
        "",
        f"A sequence classifier fine-tuned from `{origin}`{revision} on {size} items of "
        f"`{dataset}` labelled by {labels_by} (label source `{source}`).",
        "",
        f"Labels: {', '.join(f'`{k}` = {name}' for k, name in enumerate(labels))}.",
        "",
        "## Test metrics",
        "",
        f"On the held-out gold test set ({int(metrics['seeds'])} seeds of this run's recipe, "
        "mean ± standard deviation):",
        "",
        "| accuracy (%) | macro-F1 (%) | gold labels spent |",
        "|---|---|---|",
        f"| {pct('acc')} | {pct('f1')} | {_gold(metrics)} |",
        "",
        f"This folder holds seed {seed}; its test predictions equal the study's run's.",
        "",
    ]
    lines += _collapse_warning(metrics, seed)
    if verdicts:
        lines += ["## The study's verdicts", "", *(f"- {v}" for v in verdicts), ""]
    return "\n".join(lines)


def _collapse_warning(metrics: pd.Series, seed: int) -> list[str]:
    """A section naming the study's students of this source and size that answer one class
    on most test items (`collapsed` of the metrics: `seed 1 (0.97); ...`), if any."""
    named = metrics.get("collapsed")
    if not isinstance(named, str) or not named:
        return []
    this = f"seed {seed} "
    which = (
        f"This folder's student (seed {seed}) is one of them: it has learnt little more than "
        "the label prior; do not deploy it."
        if any(part.strip().startswith(this) for part in named.split(";"))
        else f"This folder's student (seed {seed}) is not, but its label source trains such "
        "students."
    )
    return [
        "## Collapsed students",
        "",
        f"Of the study's students of this source and size, {named} answer one class on that "
        "share of the test items (largest predicted-class share, `evaluation.collapse_share`). "
        + which,
        "",
    ]


def _gold(metrics: pd.Series) -> str:
    train, val = metrics.get("gold_train", np.nan), metrics.get("gold_val", np.nan)
    return f"{train:.0f} training + {val:.0f} validation"


def folders(
    pattern: str,
    export: dict,
    sources: Sequence[str],
    seeds: Sequence[int],
    sizes: dict[str, Sequence[int]],
) -> list[str]:
    """The model folder of each dataset for the run the `export` keys choose (a null size is the
    dataset's largest, a null seed the first); a choice outside the grid stops, naming the key."""
    src = export["source"]
    if src is None:
        raise ValueError("export.source: name the label source to export (e.g. `gold`)")
    if src not in sources:
        raise ValueError(f"export.source: {src!r} is not a label source of this grid: {sources}")
    seed = seeds[0] if export["seed"] is None else export["seed"]
    if seed not in seeds:
        raise ValueError(f"export.seed: {seed} is not in grid.seeds {list(seeds)}")
    out = []
    for dataset, own in sizes.items():
        size = export["size"] or max(own)
        if size not in own:
            raise ValueError(f"export.size: {size} is not a size of {dataset!r}: {list(own)}")
        out.append(pattern.format(dataset=dataset, source=src, size=size, seed=seed))
    return out
