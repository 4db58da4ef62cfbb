"""Annotate a dataset's pool with one ensemble member of a teacher, resumably.

Finished items are appended to a JSON-lines journal and flushed to disk batch by batch; a re-run
after a crash (or kill -9) reads the journal and scores only what is missing. The journal lives
outside the rule's declared outputs, because Snakemake deletes the outputs of a failed job.
Server teachers keep no journal: their answer cache (labelrisk.teachers.cache) outlives it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from labelrisk.teachers.base import entropy
from labelrisk.teachers.prompt import Prompt

log = logging.getLogger(__name__)


def journal_path(folder: Path, *inputs) -> Path:
    """A journal file named by a hash of everything that decides the scores.

    A journal is only ever resumed by a run with the same prompt, items, budget and model.
    """
    key = hashlib.sha256(json.dumps(inputs, default=str).encode()).hexdigest()[:16]
    return Path(folder) / f"{key}.jsonl"


def read_journal(path: Path) -> dict[str, dict]:
    """Rows already scored. A torn last line (killed mid-write) is ignored and rewritten."""
    done: dict[str, dict] = {}
    if not path.exists():
        return done
    good = 0
    with open(path, "rb") as f:
        for line in f:
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                break
            if not line.endswith(b"\n"):
                break
            done[row["id"]] = row
            good += len(line)
    if good != path.stat().st_size:
        with open(path, "r+b") as f:
            f.truncate(good)
    return done


def _append(path: Path, rows: list[dict]) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write("".join(json.dumps(r) + "\n" for r in rows))
        f.flush()
        os.fsync(f.fileno())


def cut_demonstrations(
    teacher, demos: pd.DataFrame, max_text_tokens: int
) -> tuple[list[tuple[str, int]], int]:
    """(text cut to the budget, class id) of each demonstration, as every item is cut, and how
    many were cut: the demonstrations the prompt really shows."""
    cut = [teacher.truncate(t, max_text_tokens) for t in demos.text]
    pairs = [(text, int(y)) for (text, _), y in zip(cut, demos.label, strict=True)]
    return pairs, sum(bool(was_cut) for _, was_cut in cut)


def annotate(
    teacher,
    items: pd.DataFrame,
    pairs: Sequence[tuple[str, int]],
    prompt: Prompt,
    journal: Path | None,
    max_text_tokens: int,
    batch_tokens: int,
    max_batch: int,
) -> pd.DataFrame:
    """Score every item; returns id, pred, entropy, class_mass, off_label_mass, no_label,
    truncated, p_0..p_{K-1}. `pairs` are the demonstrations as the prompt shows them
    (`cut_demonstrations`). Without a journal (server teachers) nothing is kept here."""
    k = len(prompt.labels)
    done: dict[str, dict] = {}
    if journal is not None:
        journal.parent.mkdir(parents=True, exist_ok=True)
        done = read_journal(journal)
    todo = items[~items.id.isin(done)]
    if done:
        log.info("resuming: %d of %d items already scored", len(items) - len(todo), len(items))
    cut = [teacher.truncate(t, max_text_tokens) for t in todo.text]
    texts = [t for t, _ in cut]
    ids = todo.id.tolist()
    with tqdm(
        total=len(items), initial=len(items) - len(todo), desc="annotate", mininterval=5
    ) as bar:
        scored = teacher.score_items(prompt, pairs, texts, batch_tokens, max_batch, progress=bar)
        for idx, s in scored:
            rows = []
            for r, i in enumerate(idx):
                rows.append(
                    {
                        "id": ids[i],
                        "probs": [float(x) for x in s.probs[r]],
                        "class_mass": float(s.class_mass[r]),
                        "no_label": bool(s.no_label[r]) if s.no_label is not None else False,
                        "truncated": bool(cut[i][1]),
                    }
                )
                if s.pred is not None:
                    rows[-1]["pred"] = int(s.pred[r])
            if journal is not None:
                _append(journal, rows)
            done.update({r["id"]: r for r in rows})
    probs = np.array([done[i]["probs"] for i in items.id], dtype=np.float64).reshape(len(items), k)
    mass = np.array([done[i]["class_mass"] for i in items.id], dtype=np.float64)
    out = pd.DataFrame(
        {
            "id": items.id.to_numpy(),
            # an answer-only teacher's ties are decided when scored (Scores.pred), else argmax
            "pred": np.array(
                [done[i].get("pred", p) for i, p in zip(items.id, probs.argmax(1), strict=True)],
                dtype=np.int64,
            ),
            "entropy": entropy(probs),
            "class_mass": mass,
            # What the model put outside the label answers (NaN where not observable).
            "off_label_mass": 1.0 - mass,
            "no_label": [done[i]["no_label"] for i in items.id],
            "truncated": [done[i]["truncated"] for i in items.id],
        }
    )
    for j in range(k):
        out[f"p_{j}"] = probs[:, j]
    return out


def score_content_free(
    teacher,
    demos: pd.DataFrame,
    prompt: Prompt,
    inputs: Sequence[str],
    max_text_tokens: int,
    batch_tokens: int,
    max_batch: int,
) -> dict:
    """Class distributions of content-free inputs ("N/A", "", ...) put in the place of an item,
    through the same prompt, demonstrations and scoring path as `annotate` (every backend), for
    contextual calibration (Zhao et al. 2021). Not journaled: a handful of prompts."""
    pairs, _ = cut_demonstrations(teacher, demos, max_text_tokens)
    texts = [teacher.truncate(t, max_text_tokens)[0] for t in inputs]
    probs: list = [None] * len(texts)
    mass: list = [None] * len(texts)
    unread = [False] * len(texts)
    for idx, s in teacher.score_items(prompt, pairs, texts, batch_tokens, max_batch):
        for r, i in enumerate(idx):
            probs[i] = [float(x) for x in s.probs[r]]
            m = float(s.class_mass[r])
            mass[i] = None if np.isnan(m) else m  # NaN: engines that mask before log-probs
            unread[i] = bool(s.no_label[r]) if s.no_label is not None else False
    log.info("content-free inputs %s: %s", list(inputs), probs)
    # An input the teacher gave no label (a uniform row) says nothing of its bias: left out.
    read = [p for p, u in zip(probs, unread, strict=True) if not u]
    if not read:
        raise ValueError(
            f"the teacher gave no label to any content-free input {list(inputs)}: contextual "
            "calibration cannot be estimated (calibration.content_free_inputs)"
        )
    if len(read) < len(probs):
        log.warning(
            "%d content-free inputs without a label left out of the mean", len(probs) - len(read)
        )
    return {
        "inputs": list(inputs),
        "probs": probs,
        "class_mass": mass,
        "no_label": unread,
        "mean": np.mean(read, axis=0).tolist(),
    }
