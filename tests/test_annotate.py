"""Resumable annotation on a real teacher: a crash mid-way loses no finished item."""

import json

import numpy as np
import pandas as pd
import pytest

from labelrisk.annotation.demonstrations import draw_demonstrations
from labelrisk.annotation.journal import annotate, cut_demonstrations, read_journal
from labelrisk.teachers.prompt import Prompt
from labelrisk.teachers.transformers_backend import TransformersTeacher

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


@pytest.mark.unit
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
        self.truncate = teacher.truncate

    def score_items(self, *args, **kw):
        for k, batch in enumerate(self.teacher.score_items(*args, **kw)):
            if k == self.n:
                raise Crash
            yield batch


def run(teacher, journal):
    pairs, _ = cut_demonstrations(teacher, draw_demonstrations(ITEMS, 3, 0, 0), 64)
    return annotate(
        teacher,
        ITEMS,
        pairs,
        Prompt("Classify reviews.", LABELS),
        journal,
        max_text_tokens=64,
        batch_tokens=4096,
        max_batch=3,
    )


@pytest.mark.e2e
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
        def score_items(self, prompt, demos, texts, *args, **kw):
            scored.extend(texts)
            yield from self.teacher.score_items(prompt, demos, texts, *args, **kw)

    out = run(Counting(teacher, 99), journal)
    assert len(scored) == 2
    fresh = run(teacher, tmp_path / "fresh.jsonl")
    assert out.id.tolist() == ITEMS.id.tolist()
    np.testing.assert_allclose(
        out.filter(like="p_").to_numpy(), fresh.filter(like="p_").to_numpy(), atol=1e-4
    )
    assert (out.pred == fresh.pred).all()
    assert all(json.loads(line) for line in journal.read_text().splitlines())


@pytest.mark.unit
def test_journal_name_changes_with_any_input(tmp_path):
    from labelrisk.annotation.journal import journal_path

    base = journal_path(tmp_path, "movies", 128, ["d1"], ["a", "b"], ["x", "y"], "{cfg}")
    assert base == journal_path(tmp_path, "movies", 128, ["d1"], ["a", "b"], ["x", "y"], "{cfg}")
    assert base != journal_path(tmp_path, "movies", 64, ["d1"], ["a", "b"], ["x", "y"], "{cfg}")
    assert base != journal_path(tmp_path, "movies", 128, ["d1"], ["a", "b"], ["x", "z"], "{cfg}")


def make_job(tmp_path, teacher_dir, tag, prompt=None, kind="annotate"):
    from labelrisk.annotation.job import Job

    outputs = {"labels": str(tmp_path / f"{tag}.parquet"), "meta": str(tmp_path / f"{tag}.json")}
    return Job(
        kind=kind,
        dataset_name="movies",
        teacher_name="t",
        member=0,
        pool=str(tmp_path / "pool.parquet"),
        val=str(tmp_path / "val.parquet"),
        teacher_dir=str(teacher_dir),
        dataset={"task": "Classify reviews.", "labels": LABELS, "prompt": prompt or {}},
        teacher={"backend": "transformers", "dtype": "float32"},
        annotation={"shots": 3, "seed": 0, "max_text_tokens": 64, "batch_tokens": 4096}
        | {"max_batch": 3},
        journal=str(tmp_path / "journal"),
        outputs=outputs if kind == "annotate" else {"meta": outputs["meta"]},
        content_free_inputs=["N/A", ""],
    )


def perturbed_copy(src, dst):
    """A copy of a teacher folder whose weights differ: one tensor scaled, everything else equal."""
    from safetensors.torch import load_file, save_file

    dst.mkdir()
    for f in src.iterdir():
        if f.is_file() and f.name != "model.safetensors" and not f.name.startswith("."):
            (dst / f.name).symlink_to(f.resolve())
    weights = load_file(src / "model.safetensors")
    name = next(k for k in sorted(weights) if k.endswith("embed_tokens.weight"))
    weights[name] = weights[name] * 1.5
    save_file(weights, dst / "model.safetensors", metadata={"format": "pt"})
    return dst


@pytest.mark.e2e
def test_new_weights_never_resume_an_old_journal(models, teacher, tmp_path):
    """Kill a job part-way, replace the weights, re-run: the journal of the old weights is not
    resumed (the key hashes the weight files), so the output is one model's."""
    from labelrisk.annotation.job import run as run_job
    from labelrisk.fetch.fingerprint import fingerprint

    ITEMS.iloc[:6].to_parquet(tmp_path / "pool.parquet")
    ITEMS.iloc[6:].to_parquet(tmp_path / "val.parquet")
    folder = tmp_path / "teacher"
    folder.mkdir()
    for f in models["teacher"].iterdir():
        if f.is_file() and not f.name.startswith("."):
            (folder / f.name).symlink_to(f.resolve())
    other = perturbed_copy(models["teacher"], tmp_path / "perturbed")
    assert fingerprint(folder)["sha256"] == fingerprint(models["teacher"])["sha256"]
    assert fingerprint(folder)["sha256"] != fingerprint(other)["sha256"]

    def job(teacher_dir, tag):
        return make_job(tmp_path, teacher_dir, tag)

    with pytest.raises(Crash):
        run_job(job(folder, "old"), CrashAfter(teacher, 1))
    (journal,) = (tmp_path / "journal").glob("*.jsonl")
    assert len(read_journal(journal)) == 3  # one batch of the old weights is on disk

    # The weights are replaced in place (same folder, same config.json): a new journal.
    (folder / "model.safetensors").unlink()
    (folder / "model.safetensors").symlink_to(other / "model.safetensors")
    new_teacher = TransformersTeacher(str(folder), dtype="float32", threads=2)
    scored = []

    class Counting(CrashAfter):
        def score_items(self, prompt, demos, texts, *args, **kw):
            scored.extend(texts)
            yield from self.teacher.score_items(prompt, demos, texts, *args, **kw)

    out = run_job(job(folder, "new"), Counting(new_teacher, 99))
    assert len(scored) == len(ITEMS)  # nothing was taken from the old weights' journal
    clean = run_job(job(other, "clean"), new_teacher)
    np.testing.assert_allclose(
        out.filter(like="p_").to_numpy(), clean.filter(like="p_").to_numpy(), atol=1e-4
    )
    assert journal.exists()  # the old weights' journal is left alone, never mixed in


@pytest.mark.unit
def test_journal_key_covers_backend_settings_but_not_connection_handling():
    from labelrisk.annotation.job import engine_identity

    base = {"backend": "vllm", "dtype": "bfloat16", "vllm": {"seed": 0, "max_model_len": 4096}}
    assert engine_identity(base) != engine_identity(
        base | {"vllm": {"seed": 1, "max_model_len": 4096}}
    )
    assert engine_identity(base) != engine_identity(
        base | {"origin": {"kind": "local", "path": "x"}}
    )
    srv = {"backend": "openai", "openai": {"base_url": "u", "model": "m", "constraint": "gbnf"}}
    same = {"backend": "openai", "openai": srv["openai"] | {"timeout": 5, "api_key_env": "K"}}
    assert engine_identity(srv) == engine_identity(same)
    assert engine_identity(srv) != engine_identity(
        {"backend": "openai", "openai": srv["openai"] | {"constraint": "none"}}
    )


@pytest.mark.unit
def test_a_fingerprint_written_beside_the_folder_saves_hashing_it(tmp_path):
    import os

    from labelrisk.annotation.job import folder_fingerprint
    from labelrisk.fetch.fingerprint import fingerprint

    folder = tmp_path / "teacher"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(b"weights")
    hashed = fingerprint(folder)["sha256"]
    assert folder_fingerprint(folder) == hashed  # no record: hashed
    record = tmp_path / "teacher.fingerprint.json"
    record.write_text(json.dumps({"sha256": "f" * 64}))
    assert folder_fingerprint(folder) == "f" * 64  # read, not hashed
    # A folder changed after its record was written: hashed again.
    later = record.stat().st_mtime + 10
    os.utime(folder / "model.safetensors", (later, later))
    assert folder_fingerprint(folder) == hashed


@pytest.mark.e2e
def test_a_shaped_prompt_reaches_the_teacher_as_configured(models, teacher, tmp_path):
    """Label words, a description, a system message, a template file and fixed
    demonstrations: the job scores exactly the prompt they render, by the word tokens."""
    from labelrisk.annotation.job import run as run_job
    from labelrisk.teachers.prompt import answer_token_ids, chat_frame

    ITEMS.iloc[:6].to_parquet(tmp_path / "pool.parquet")
    ITEMS.iloc[6:].to_parquet(tmp_path / "val.parquet")
    (tmp_path / "tpl.txt").write_text("{task}\n{labels}\n\n{demonstrations}\n\nReview: {text}\n")
    pd.DataFrame({"text": ["Loved it.", "Hated it."], "label": ["positive", "negative"]}).to_csv(
        tmp_path / "demos.csv", index=False
    )
    spec = {
        "answer": "words",
        "descriptions": {"negative": "the reviewer disliked the film"},
        "system": "You label movie reviews.",
        "template": str(tmp_path / "tpl.txt"),
        "demonstrations": str(tmp_path / "demos.csv"),
    }
    out = run_job(make_job(tmp_path, models["teacher"], "shaped", spec), teacher)
    meta = json.loads((tmp_path / "shaped.json").read_text())
    assert meta["answer"] == "words" and meta["demonstration_ids"] == ["demo0", "demo1"]
    assert "demonstration_seed" not in meta and meta["template_file"] == spec["template"]
    assert meta["prompt_example"] == (
        "Classify reviews.\nnegative - the reviewer disliked the film\npositive\n\n"
        "Text: Loved it.\nLabel: positive\n\nText: Hated it.\nLabel: negative\n\n"
        "Review: {input_text}\n"
    )
    prompt = Prompt(
        "Classify reviews.",
        LABELS,
        answer="words",
        descriptions=spec["descriptions"],
        system=spec["system"],
        template=(tmp_path / "tpl.txt").read_text(),
    )
    frame = chat_frame(teacher.tokenizer, prompt, [("Loved it.", 1), ("Hated it.", 0)])
    assert frame.prefix.startswith("<|im_start|>system\nYou label movie reviews.<|im_end|>")
    words = answer_token_ids(teacher.tokenizer, ["negative", "positive"])
    ref = teacher.score_naive([frame.full(t) for t in ITEMS.text], words)
    np.testing.assert_allclose(out.filter(like="p_").to_numpy(), ref.probs, atol=1e-4)
    np.testing.assert_allclose(out.off_label_mass, 1 - ref.class_mass, atol=1e-4)
    assert not out.no_label.any()


@pytest.mark.e2e
def test_the_content_free_job_uses_the_members_prompt(models, teacher, tmp_path):
    from labelrisk.annotation.job import Job
    from labelrisk.annotation.job import run as run_job

    ITEMS.iloc[:6].to_parquet(tmp_path / "pool.parquet")
    job = make_job(tmp_path, models["teacher"], "cf", kind="content_free")
    meta = run_job(Job.from_json(job.to_json()), teacher)  # as the vLLM worker receives it
    assert json.loads((tmp_path / "cf.json").read_text()) == meta
    assert meta["content_free"]["inputs"] == ["N/A", ""] and meta["member"] == 0
    demos = draw_demonstrations(ITEMS.iloc[:6], 3, 0, 0)
    assert meta["demonstration_ids"] == demos.id.tolist()
    direct = annotate(
        teacher,
        pd.DataFrame({"id": ["a", "b"], "text": ["N/A", ""]}),
        cut_demonstrations(teacher, demos, 64)[0],
        Prompt("Classify reviews.", LABELS),
        None,
        64,
        4096,
        3,
    )
    np.testing.assert_allclose(
        meta["content_free"]["probs"], direct.filter(like="p_").to_numpy(), atol=1e-5
    )


def small_model_folder(root):
    """A folder with what fingerprints must handle: nested files, a hidden file and folder
    (left out), a link to a file elsewhere (followed)."""
    folder = root / "model"
    (folder / "sub").mkdir(parents=True)
    (folder / ".cache").mkdir()
    (folder / "config.json").write_text('{"a": 1}\n')
    (folder / "sub" / "weights.bin").write_bytes(bytes(range(256)) * 5000)
    (folder / ".hidden").write_text("left out")
    (folder / ".cache" / "x").write_text("left out")
    (root / "elsewhere.txt").write_text("tokenizer")
    (folder / "tokenizer.json").symlink_to(root / "elsewhere.txt")
    return folder


@pytest.mark.unit
def test_the_journal_key_fingerprint_is_the_fetched_models_and_stays_the_same(tmp_path):
    """Annotation journals are keyed by the fingerprint the fetch rule writes beside the model
    folder (or computes again): one function, whose value must never change, or every journal
    would be re-scored."""
    from labelrisk.annotation.job import folder_fingerprint
    from labelrisk.fetch.fingerprint import fingerprint

    folder = small_model_folder(tmp_path)
    fp = fingerprint(folder)
    assert sorted(fp["files"]) == ["config.json", "sub/weights.bin", "tokenizer.json"]
    assert folder_fingerprint(folder) == fp["sha256"]
    assert fp["sha256"] == "60d9a2b85bb5c9803104bf91ffa7429a6788dd2029dd281bd5d186819b763c55"
