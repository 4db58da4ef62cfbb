"""The product's model card (README.md in the Hub's card format): a YAML metadata header (base
model, language, the product's own test metrics) and what the study measured for the label
source chosen, at the study's largest training size, beside the product's own held-out test."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import yaml
from scipy import stats
from sklearn.metrics import accuracy_score, f1_score

from labelrisk.artefacts import risk as lr_risk


def study_measures(
    source_items: pd.DataFrame, gold_items: pd.DataFrame, collapsed: str, n_classes: int
) -> dict:
    """At the study's largest size: the source's accuracy and macro-F1 with 95% t intervals over
    seeds, their cost against gold (paired by seed, with interval), the minority class's F1."""
    size = int(source_items["size"].max())
    src = lr_risk.per_seed(source_items, size, n_classes)
    gold = lr_risk.per_seed(gold_items, size, n_classes)
    out = {"size": size, "seeds": len(src), "collapsed": collapsed}
    for m in ("accuracy", "macro_f1"):
        out[m] = (float(src[m].mean()), *np.clip(_t_interval(src[m]), 0.0, 1.0))
        out[f"{m}_cost"] = lr_risk.paired_difference(src[m], gold[m])
        out[f"{m}_gold"] = float(gold[m].mean())
    low = lr_risk.minority(gold_items)
    out["minority"] = low
    out["minority_f1"] = float(src[f"f1_class_{low}"].mean())
    out["minority_f1_gold"] = float(gold[f"f1_class_{low}"].mean())
    return out


def _t_interval(values: pd.Series, level: float = 0.95) -> tuple[float, float]:
    v = values.dropna()
    if len(v) < 2:
        return np.nan, np.nan
    half = stats.t.ppf((1 + level) / 2, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v))
    return float(v.mean() - half), float(v.mean() + half)


def test_measures(gold: np.ndarray, pred: np.ndarray, n_classes: int) -> dict:
    """The product's own accuracy (with a 95% Wilson interval over the test items) and
    macro-F1 on the study's gold test split."""
    f1 = f1_score(gold, pred, labels=range(n_classes), average=None, zero_division=0)
    right = int(accuracy_score(gold, pred, normalize=False))
    ci = stats.binomtest(right, len(gold)).proportion_ci(0.95, method="wilson")
    return {
        "items": len(gold),
        "accuracy": right / len(gold),
        "accuracy_interval": [float(ci.low), float(ci.high)],
        "macro_f1": float(np.mean(f1)),
        "class_f1": [float(x) for x in f1],
    }


def base_model(origin: dict) -> str:
    """The base model as the card's header names it: the Hub id, else where it was read."""
    parts = ", ".join(p["requirement"] for p in origin.get("parts") or [])
    return origin.get("repo") or origin.get("path") or parts or origin.get("kind", "")


def header(name: str, dataset: str, base: str, language: str | None, test: dict) -> str:
    meta = {"library_name": "transformers", "pipeline_tag": "text-classification"}
    meta["base_model"] = base
    if language:
        meta["language"] = [language]
    meta["tags"] = ["labelrisk", "llm-annotations"]
    split = {"name": dataset, "type": dataset, "split": "test"}
    metrics = [
        {"type": "accuracy", "value": round(test["accuracy"], 4), "name": "Accuracy (gold test)"},
        {"type": "f1", "value": round(test["macro_f1"], 4), "name": "Macro-F1 (gold test)"},
    ]
    metrics[1]["args"] = {"average": "macro"}
    task = {"type": "text-classification", "name": "Text classification"}
    meta["model-index"] = [
        {"name": name, "results": [{"task": task, "dataset": split, "metrics": metrics}]}
    ]
    return "---\n" + yaml.safe_dump(meta, sort_keys=False) + "---\n"


def _pts(v: float) -> str:
    return "–" if not np.isfinite(v) else f"{100 * v:.1f}"


def _with_interval(mean: float, low: float, high: float, signed: bool = False) -> str:
    fmt = (lambda v: "–" if not np.isfinite(v) else f"{100 * v:+.1f}") if signed else _pts
    inner = f" (95% interval {fmt(low)} to {fmt(high)})" if np.isfinite(low) else ""
    return fmt(mean) + inner


def card(
    *,
    name: str,
    dataset: str,
    labels: Sequence[str],
    teacher: str,
    choice: dict,
    base: str,
    language: str | None,
    counts: dict,
    study: dict,
    test: dict,
) -> str:
    """The README.md of the product's folder."""
    s, low = study, study["minority"]
    collapse = (
        f"yes: {s['collapsed']}" if s["collapsed"] else "no (no study student answered one class)"
    )
    lines = [
        f"# {name}",
        "",
        f"A sequence classifier fine-tuned from `{base}` for `{dataset}` on "
        f"{counts['train']} items labelled by the label source `{choice['source']}` (teacher "
        f"`{teacher}`): {counts['teacher_labelled']} rows labelled by the teacher "
        f"({counts['unlabelled_rows']} of them from the unlabelled table) and "
        f"{counts['gold_train']} by gold annotators; {counts['gold_val']} gold labels in the "
        "validation set that picked the best epoch. Source chosen: "
        f"{choice['reason']}.",
        "",
        f"Labels: {', '.join(f'`{k}` = {n}' for k, n in enumerate(labels))}.",
        "",
        "## This model on the held-out gold test set",
        "",
        f"{test['items']} gold-labelled test items the model never saw: accuracy "
        f"{_pts(test['accuracy'])}% (95% interval {_pts(test['accuracy_interval'][0])} to "
        f"{_pts(test['accuracy_interval'][1])}), macro-F1 "
        f"{_pts(test['macro_f1'])}%, F1 of the minority class `{labels[low]}` "
        f"{_pts(test['class_f1'][low])}%. The accuracy's interval (Wilson, over the test "
        "items) is for this one trained model; another training seed moves it too (the study's "
        "seeds below).",
        "",
        "## What the study measured for this choice",
        "",
        f"The study trained students on `{choice['source']}` labels of at most {s['size']} items "
        f"({s['seeds']} seeds); this model is trained on {counts['train']}. The numbers below "
        "are for those smaller students, not for this model: more teacher-labelled data need "
        "not keep the same distance to gold.",
        "",
        "| measure | value (%) |",
        "|---|---|",
        f"| accuracy against gold | {_with_interval(*s['accuracy'])} |",
        f"| macro-F1 against gold | {_with_interval(*s['macro_f1'])} |",
        f"| accuracy cost vs a gold-trained student (points) | "
        f"{_with_interval(*s['accuracy_cost'], signed=True)} |",
        f"| macro-F1 cost vs a gold-trained student (points) | "
        f"{_with_interval(*s['macro_f1_cost'], signed=True)} |",
        f"| minority class `{labels[low]}`: F1 (gold-trained) | "
        f"{_pts(s['minority_f1'])} ({_pts(s['minority_f1_gold'])}) |",
        f"| collapsed (one class answered) | {collapse} |",
        "",
        "Intervals: 95% t intervals over the study's seeds (accuracy and macro-F1 cut to 0-100); "
        "a cost is this source's student minus the gold-trained student of the same seed and "
        "size.",
        "",
        "## Use",
        "",
        "In this folder (needs pandas, pyarrow, PyYAML, torch, transformers, tqdm): a table of "
        "texts (.csv, .tsv, .jsonl or .parquet, column `text`) to one row per text with the label, "
        "a probability per class and the model's name:",
        "",
        "```",
        "python predict.py . texts.csv predictions.csv",
        "```",
        "",
        'or with transformers: `pipeline("text-classification", model="path/to/this/folder")`.',
        "",
    ]
    return header(name, dataset, base, language, test) + "\n" + "\n".join(lines)
