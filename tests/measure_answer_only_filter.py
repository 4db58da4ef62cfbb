"""The entropy filter on an answer-only teacher, from a finished run's log-probability teacher.

An answer-only teacher under structured outputs at temperature 1 answers each item with a label
drawn from the model's distribution over the labels; k answers are a multinomial draw of k from
it, and its entropy is that of the k answers' shares (labelrisk.teachers.sampled). So from the
distributions a log-probability teacher recorded, this draws what the same model would have
answered k times, applies the paper's entropy filter (`entropy<alpha>`: the alpha% most
uncertain pool items get gold labels) and prints the accuracy of the resulting training labels
against gold, beside the filter on the exact distributions, over many draws:

    .venv/bin/python tests/measure_answer_only_filter.py RUN_DIR --teacher qwen2.5-coder-1.5b

It trains no student: the training labels are the students' only input that differs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow_scripts"))

from labelrisk.labels.mitigations.entropy import entropy_filter  # noqa: E402
from labelrisk.teachers.base import entropy  # noqa: E402
from labelrisk.teachers.sampled import tied_to_first  # noqa: E402


def training_label_accuracy(probs, gold, alpha, k, rng):
    """Accuracy against gold of the teacher's labels after the entropy filter, for exact
    distributions (k None) or the shares of k answers drawn from them."""
    pred = probs.argmax(axis=1)
    if k is not None:  # k answers each, labelled as the answer-only teacher labels them
        cum = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
        answers = (rng.random((len(probs), k, 1)) > cum[:, None, :-1]).sum(axis=2)
        counts = np.stack([np.bincount(a, minlength=probs.shape[1]) for a in answers])
        first = np.array(
            [
                [np.append(np.flatnonzero(a == c), k)[0] for c in range(probs.shape[1])]
                for a in answers
            ]
        )
        probs = counts / k
        pred = tied_to_first(counts, first)
    mask = entropy_filter(entropy(probs), alpha)
    labels = np.where(mask, gold, pred)
    return float((labels == gold).mean()), float((pred == gold).mean())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run", type=Path, help="a finished run's directory (results/ inside)")
    ap.add_argument("--teacher", required=True)
    ap.add_argument("--alpha", type=float, default=25)
    ap.add_argument("--samples", type=int, nargs="+", default=[3, 5, 10, 20])
    ap.add_argument("--draws", type=int, default=200)
    args = ap.parse_args()
    rows = []
    for folder in sorted((args.run / "results" / "annotations").iterdir()):
        path = folder / args.teacher / "member0.parquet"
        if not path.exists():
            continue
        ann = pd.read_parquet(path)
        pool = pd.read_parquet(args.run / "results" / "data" / folder.name / "pool.parquet")
        ann = ann.set_index("id").loc[pool.id.astype(str)]
        probs = ann.filter(regex=r"^p_\d+$").to_numpy()
        gold = pool.label.to_numpy()
        acc, raw = training_label_accuracy(probs, gold, args.alpha, None, None)
        rows.append({"dataset": folder.name, "answers": "log-probabilities", "teacher": raw})
        rows[-1] |= {"filtered": acc, "sd": 0.0}
        rng = np.random.default_rng(0)
        for k in args.samples:
            draws = [
                training_label_accuracy(probs, gold, args.alpha, k, rng) for _ in range(args.draws)
            ]
            filt, teach = np.array(draws).T
            rows.append({"dataset": folder.name, "answers": f"{k} answers"})
            rows[-1] |= {"teacher": teach.mean(), "filtered": filt.mean(), "sd": filt.std()}
    out = pd.DataFrame(rows)
    print(
        f"Training-label accuracy against gold, entropy filter {args.alpha:g}% ({args.draws} draws)"
    )
    print(out.to_markdown(index=False, floatfmt=".3f"))


if __name__ == "__main__":
    main()
