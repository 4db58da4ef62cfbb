"""Resumable annotation on a real teacher: a crash mid-way loses no finished item."""

import json

import numpy as np
import pandas as pd
import pytest

from labelrisk.annotate import annotate, draw_demonstrations, read_journal
from labelrisk.teacher import TransformersTeacher

ITEMS = pd.DataFrame(
    {
        "id": [f"r{i}" for i in range(8)],
        "text": [
            "Great fun.",
            "Terrible.",
            "I loved every minute of it.",
            "A waste of time.",
            "Charming and smart.",
            "Dull, dull, dull.",
            "Best film this year.",
            "Painfully slow.",
        ],
        "label": [1, 0, 1, 0, 1, 0, 1, 0],
    }
)
LABELS = ["negative", "positive"]


@pytest.fixture(scope="module")
def teacher(models):
    return TransformersTeacher(str(models["teacher"]), dtype="float32", threads=2)


def test_demonstrations_are_seeded_per_member():
    a = draw_demonstrations(ITEMS, 3, seed=0, member=0)
    assert len(a) == 3 and a.id.tolist() == draw_demonstrations(ITEMS, 3, 0, 0).id.tolist()
    draws = {tuple(draw_demonstrations(ITEMS, 3, 0, m).id) for m in range(5)}
    assert len(draws) > 1


class Crash(RuntimeError):
    pass


class CrashAfter:
    """The real teacher, cut off after `n` batches, as a kill would cut it off."""

    def __init__(self, teacher, n):
        self.teacher, self.n = teacher, n
        self.tokenizer = teacher.tokenizer
        self.truncate = teacher.truncate

    def score(self, *args, **kw):
        for k, batch in enumerate(self.teacher.score(*args, **kw)):
            if k == self.n:
                raise Crash
            yield batch


def run(teacher, journal):
    demos = draw_demonstrations(ITEMS, 3, 0, 0)
    return annotate(
        teacher,
        ITEMS,
        demos,
        "Classify reviews.",
        LABELS,
        journal,
        max_text_tokens=64,
        batch_tokens=4096,
        max_batch=3,
    )


def test_resume_after_crash_scores_only_what_is_missing(teacher, tmp_path):
    journal = tmp_path / "j.jsonl"
    with pytest.raises(Crash):
        run(CrashAfter(teacher, 2), journal)
    saved = read_journal(journal)
    assert len(saved) == 6  # two batches of three were on disk before the crash
    with open(journal, "ab") as f:
        f.write(b'{"id": "torn')  # a write cut by kill -9
    scored = []

    class Counting(CrashAfter):
        def score(self, frame, texts, *args, **kw):
            scored.extend(texts)
            yield from self.teacher.score(frame, texts, *args, **kw)

    out = run(Counting(teacher, 99), journal)
    assert len(scored) == 2
    fresh = run(teacher, tmp_path / "fresh.jsonl")
    assert out.id.tolist() == ITEMS.id.tolist()
    np.testing.assert_allclose(
        out.filter(like="p_").to_numpy(), fresh.filter(like="p_").to_numpy(), atol=1e-4
    )
    assert (out.pred == fresh.pred).all()
    assert all(json.loads(line) for line in journal.read_text().splitlines())


def test_journal_name_changes_with_any_input(tmp_path):
    from labelrisk.annotate import journal_path

    base = journal_path(tmp_path, "movies", 128, ["d1"], ["a", "b"], ["x", "y"], "{cfg}")
    assert base == journal_path(tmp_path, "movies", 128, ["d1"], ["a", "b"], ["x", "y"], "{cfg}")
    assert base != journal_path(tmp_path, "movies", 64, ["d1"], ["a", "b"], ["x", "y"], "{cfg}")
    assert base != journal_path(tmp_path, "movies", 128, ["d1"], ["a", "b"], ["x", "z"], "{cfg}")
