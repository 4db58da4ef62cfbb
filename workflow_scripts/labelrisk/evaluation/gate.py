"""The teacher gate: before any student is trained on a teacher's labels, the teacher is
compared with answering the most frequent gold class, and its probability mass outside the
label words is checked.

A teacher is *weak* when it is no better than that constant answer on both measures (accuracy
at most the majority share and macro-F1 at most the constant answer's): a student trained on
its labels can learn at best the class prior, which needs no teacher. Both must fail, as an
imbalanced task rewards the constant answer's accuracy while a teacher that finds part of the
minority class beats its macro-F1. A teacher is *off the labels* when most of its mass
(`evaluation.max_off_label_mass`) falls on tokens that are no label: its labels are then the
argmax of what is left, mostly noise. Either stops the study before the first training job
unless the teacher's entry sets `accept_weak: true`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score

# What usually causes each finding, for the message.
CAUSES = {
    "weak": (
        "a teacher that answers one class for most items usually sees a prompt it cannot "
        "follow (label words it does not associate with the task, a template or demonstrations "
        "that bias it; try the default id prompt), or is too small for the task"
    ),
    "off_label": (
        "mass off the label words usually means the answer is not constrained where the "
        "server reports log-probabilities (`constraint`, `pre_mask`; llama.cpp has no "
        "/tokenize endpoint), or the label words are not the tokens the model starts its "
        "answer with (`answer: ids` or label words starting with a space)"
    ),
}


def measure(pool: pd.DataFrame, member0: pd.DataFrame, n_classes: int) -> dict:
    """The teacher's accuracy and macro-F1 on the gold pool items it labelled, the constant
    majority answer's on the same items, and its mean probability mass off the labels (NaN
    where the engine reports none)."""
    ann = member0[member0.split == "pool"] if "split" in member0 else member0
    gold = pool.set_index("id")["label"].loc[ann.id].to_numpy()
    pred = ann.pred.to_numpy()
    labels = list(range(n_classes))
    majority = np.full_like(gold, np.bincount(gold, minlength=n_classes).argmax())
    mass = float(ann.class_mass.mean())
    return {
        "items": len(gold),
        "accuracy": float(accuracy_score(gold, pred)),
        "macro_f1": float(f1_score(gold, pred, labels=labels, average="macro", zero_division=0)),
        "majority_accuracy": float(accuracy_score(gold, majority)),
        "majority_macro_f1": float(
            f1_score(gold, majority, labels=labels, average="macro", zero_division=0)
        ),
        "off_label_mass": 1.0 - mass if not math.isnan(mass) else math.nan,
    }


def findings(m: dict, max_off_label_mass: float) -> list[str]:
    """`weak` and/or `off_label`, as defined in the module's docstring."""
    out = []
    if m["accuracy"] <= m["majority_accuracy"] and m["macro_f1"] <= m["majority_macro_f1"]:
        out.append("weak")
    if not math.isnan(m["off_label_mass"]) and m["off_label_mass"] > max_off_label_mass:
        out.append("off_label")
    return out


def message(dataset: str, teacher: str, m: dict, found: list[str], limit: float) -> str:
    """What was measured, what usually causes it, and how to go on anyway."""
    lines = [
        f"teacher {teacher!r} on dataset {dataset!r} stops the study before any training "
        f"({m['items']} gold-labelled pool items):",
        f"  accuracy {m['accuracy']:.3f} (always answering the most frequent class: "
        f"{m['majority_accuracy']:.3f}), macro-F1 {m['macro_f1']:.3f} (that answer's: "
        f"{m['majority_macro_f1']:.3f}), mass off the label words {m['off_label_mass']:.3f} "
        f"(limit evaluation.max_off_label_mass: {limit})",
    ]
    lines += [f"  {CAUSES[f]}." for f in found]
    lines.append(
        f"  results/annotations/{dataset}/{teacher}/member0.json holds the prompt as sent. To "
        f"train on these labels anyway (to measure what a weak teacher costs), set "
        f"teachers.{teacher}.accept_weak: true; the report records it."
    )
    return "\n".join(lines)


def status(found: list[str], accepted: bool) -> str:
    if not found:
        return "passed"
    return "accepted: " + ", ".join(found) if accepted else "stopped: " + ", ".join(found)


def _num(x: float) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.3f}"


def first_page(records: list[dict]) -> str:
    """The teachers-only report's front page: each teacher's numbers against the constant
    majority answer, the gate's verdict, and the first teacher's prompt as sent."""
    head = ["dataset, teacher", "accuracy", "macro-F1", "majority acc. / F1", "off-label", "gate"]
    rows = [head] + [
        [
            f"{r['dataset']}, {r['teacher']} (n = {r['items']})",
            _num(r["accuracy"]),
            _num(r["macro_f1"]),
            f"{_num(r['majority_accuracy'])} / {_num(r['majority_macro_f1'])}",
            _num(r["off_label_mass"]),
            r["status"],
        ]
        for r in records
    ]
    table = [".. list-table::", "   :header-rows: 1", ""]
    for row in rows:
        table += [f"   * - {row[0]}"] + [f"     - {cell}" for cell in row[1:]]
    first = records[0]
    prompt = (first.get("prompt_example") or "(not recorded)").splitlines() or [""]
    return "\n".join(
        table
        + [
            "",
            "Each teacher's labels of the gold pool against always answering the most frequent "
            "class; off-label: its mean probability mass outside the label words. A teacher no "
            "better than that answer on both, or with most of its mass off the labels, stops "
            "the study before any training unless accepted (``accept_weak``).",
            "",
            f"The prompt {first['teacher']} was sent on {first['dataset']} (member 0; "
            "``{input_text}`` is each item):",
            "",
            "::",
            "",
            *[f"    {line}" for line in prompt],
            "",
        ]
    )


def accepted_note(records: list[dict]) -> str:
    """One sentence naming the teachers the study trained on although the gate found them weak
    (empty when there are none)."""
    taken = [r for r in records if r["status"].startswith("accepted")]
    if not taken:
        return ""
    named = "; ".join(
        f"{r['teacher']} on {r['dataset']} (accuracy {_num(r['accuracy'])} against "
        f"{_num(r['majority_accuracy'])} for the majority class, off-label mass "
        f"{_num(r['off_label_mass'])}: {r['status'].split(': ')[1]})"
        for r in taken
    )
    return (
        f"Trained on although the teacher gate found them weak (``accept_weak: true`` in the "
        f"config): {named}.\n"
    )
