"""Checks a GPU user runs before the study (`snakemake preflight`), one readable line each:
CUDA visible (driver, devices), disk space for the models, vLLM starting each vLLM teacher and
scoring one prompt with guided decoding, and one training step of the student."""

from __future__ import annotations

import fnmatch
import json
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from labelrisk.devices import DeviceError, cuda_status, no_device_reason
from labelrisk.teachers import backends

GB = 1e9


@dataclass
class Check:
    name: str
    status: str  # ok | FAIL | skip
    detail: str

    def line(self) -> str:
        return f"{self.status:<4}  {self.name:<8} {self.detail}"


def cuda_check(asked: int, status: dict | None = None) -> Check:
    """CUDA sees a device (with the driver and the build named), or the grid asks for none."""
    if asked == 0:
        return Check("cuda", "skip", "no job of this config asks for a GPU")
    status = cuda_status() if status is None else status
    if status["devices"] == 0:
        return Check("cuda", "FAIL", no_device_reason(status))
    names = ", ".join(status["names"])
    bf16 = "bf16" if status["bf16"] else "no bf16 (float16 is used)"
    ptx = f"; note: {status['ptx']}" if status.get("ptx") else ""
    return Check(
        "cuda",
        "ok",
        f"{status['devices']} device(s): {names}; driver {status['driver']}, "
        f"torch {status['torch']} (CUDA {status['build_cuda']}); {bf16}{ptx}",
    )


def models_to_fetch(config: dict, teachers, student: str, root: Path = Path(".")) -> dict:
    """Origins of the grid's models not yet in resources/ (the disk check sizes them); a
    teacher behind a server has no origin: nothing of it is fetched."""
    wanted = {
        f"teachers/{t}": config["teachers"][t]["origin"]
        for t in teachers
        if backends.of(config["teachers"][t]).folder
    }
    wanted[f"students/{student}"] = config["students"][student]["origin"]
    return {m: o for m, o in wanted.items() if not (root / "resources" / m).exists()}


def hub_bytes(origin: dict, timeout: float = 10) -> int | None:
    """Bytes a Hub model download fetches (its files, filtered as `allow_patterns`), or None
    when the Hub cannot be asked."""
    try:
        from huggingface_hub import HfApi

        info = HfApi().model_info(
            origin["repo"], revision=origin["revision"], files_metadata=True, timeout=timeout
        )
    except Exception:  # offline, unknown repo: the size is then unknown, said in the line
        return None
    patterns = origin.get("allow_patterns")
    return sum(
        s.size or 0
        for s in info.siblings
        if not patterns or any(fnmatch.fnmatch(s.rfilename, p) for p in patterns)
    )


def disk_check(models: dict[str, dict], where: Path, free: int | None = None) -> Check:
    """Free space where `resources/` lies against the models still to be downloaded
    (`models`: name -> origin; Hub sizes are asked of the Hub, others are not known)."""
    sizes = {m: hub_bytes(o) if o["kind"] == "hf" else None for m, o in models.items()}
    probe = where.resolve()
    while not probe.exists():
        probe = probe.parent
    free = shutil.disk_usage(probe).free if free is None else free
    known = sum(v for v in sizes.values() if v is not None)
    unknown = sorted(m for m, v in sizes.items() if v is None)
    have = f"{free / GB:.1f} GB free in {probe}"
    if not models:
        return Check("disk", "ok", f"{have}; every model is present")
    need = f"{known / GB:.1f} GB for {len(models) - len(unknown)} model(s) to download"
    if unknown:
        need += f"; size not known of {', '.join(unknown)} (Hub unreachable or not a Hub model)"
    return Check("disk", "ok" if free > known else "FAIL", f"{have}; {need}")


def teacher_check(name: str, model_dir: str, teacher: dict, task: str, labels: list) -> Check:
    """vLLM loads the teacher and scores one prompt under guided decoding (class ids only)."""
    from labelrisk.teachers.prompt import Prompt
    from labelrisk.teachers.registry import vllm_options
    from labelrisk.teachers.vllm_backend import VllmTeacher

    start = time.monotonic()
    try:
        llm = VllmTeacher(model_dir, **vllm_options(teacher))
        loaded = time.monotonic() - start
        prompt = Prompt(task, tuple(labels))
        _, scores = next(llm.score_items(prompt, [], ["A short sentence to classify."]))
    except Exception as e:  # any failure to start or score is the check's answer
        return Check(f"teacher {name}", "FAIL", f"{type(e).__name__}: {e}")
    p = scores.probs[0]
    k = int(p.argmax())
    return Check(
        f"teacher {name}",
        "ok",
        f"vLLM loaded it in {loaded:.0f} s and answered {labels[k]!r} (p = {p[k]:.2f}) "
        f"under guided decoding; dtype {vllm_options(teacher)['dtype']}",
    )


def student_check(model_dir: str, training: dict, work: Path) -> Check:
    """One optimiser step of the student (16 items, one batch) where the training jobs run."""
    import pandas as pd
    import torch

    from labelrisk.students.train import Hyper, train_and_predict

    texts = [f"sample sentence number {i} for one training step" for i in range(16)]
    frame = pd.DataFrame({"id": range(16), "text": texts, "label": [i % 2 for i in range(16)]})
    hp = Hyper(
        epochs=1,
        train_batch_size=16,
        eval_batch_size=16,
        max_length=32,
        mixed_precision=training["mixed_precision"],
    )
    start = time.monotonic()
    try:
        train_and_predict(model_dir, 2, frame, frame[:4], frame[:4], 0, work, hp)
    except (DeviceError, RuntimeError) as e:
        return Check("student", "FAIL", f"{type(e).__name__}: {e}")
    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "the CPU"
    precision = "fp16 mixed precision" if training["mixed_precision"] else "float32"
    took = time.monotonic() - start
    return Check("student", "ok", f"one training step on {device} ({precision}) in {took:.0f} s")


def save(checks: list[Check], path: str) -> None:
    Path(path).write_text(json.dumps([asdict(c) for c in checks], indent=2))


def load(paths) -> list[Check]:
    return [Check(**c) for p in paths for c in json.loads(Path(p).read_text())]


def show(checks: list[Check], out=sys.stdout) -> bool:
    """Print one line per check; True when none failed."""
    for c in checks:
        print(c.line(), file=out, flush=True)
    return all(c.status != "FAIL" for c in checks)


def finish(checks: list[Check], output: str | None = None) -> None:
    """A preflight rule's end: its lines to the log and to the terminal (or the cluster job's
    output), saved to `output` when given; exit status 1 when a check failed."""
    ok = show(checks)
    show(checks, sys.__stdout__)
    if output:
        save(checks, output)
    if not ok:
        sys.exit(1)


def teacher_in_worker(model_dir: str, check: dict, python: str | None, out: str, log: str):
    """The teacher check run by `python -m labelrisk.preflight` in the interpreter that has vLLM
    (the teacher's `vllm.python`, else this one), as the annotation jobs run it."""
    import os
    import subprocess

    from labelrisk.annotation.vllm_worker import PACKAGE_ROOT

    args = Path(out).with_suffix(".args.json")
    args.write_text(json.dumps({"model_dir": model_dir, **check}))
    env = dict(os.environ, PYTHONPATH=str(PACKAGE_ROOT))
    python = os.path.expanduser(python) if python else sys.executable
    with open(log, "a") as f:
        subprocess.run(
            [python, "-m", "labelrisk.preflight", str(args), out],
            env=env,
            stdout=f,
            stderr=subprocess.STDOUT,
        )
    args.unlink()
    if Path(out).exists():
        return load([out])
    return [Check(f"teacher {check['name']}", "FAIL", f"{python} could not run vLLM")]


def main(argv: list[str]) -> int:
    """`python -m labelrisk.preflight teacher ARGS.json OUT.json`: the teacher check in the
    interpreter that has vLLM (the teacher's `vllm.python`, or the rule's environment)."""
    _, args_file, out = argv
    args = json.loads(Path(args_file).read_text())
    check = teacher_check(**args)
    save([check], out)
    return 0 if check.status != "FAIL" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
