"""The backend registry (labelrisk.teachers.backends) against every rule the workflow defines:
each backend's annotate and content_free rules run in its environment, ask for its GPUs, run
locally or not as it says; every rule asking for a GPU goes to the SLURM profile's GPU
partition. Rules are read from `workflow.rules` (all of them, whatever a config plans)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT
from labelrisk.annotation.job import engine_identity
from labelrisk.platforms import env_file
from labelrisk.teachers import backends
from labelrisk.teachers.registry import teacher_params

pytestmark = pytest.mark.dag

PAPER = ROOT / "config" / "paper.yaml"
STAND_IN = ROOT / "tests" / "data" / "paper" / "cc_muller.csv"


@pytest.fixture(scope="module")
def workflow(tmp_path_factory):
    """The workflow as `--profile profiles/slurm --configfile config/paper.yaml` parses it."""
    from snakemake.api import SnakemakeApi
    from snakemake.settings.types import ConfigSettings, OutputSettings, ResourceSettings

    workdir = tmp_path_factory.mktemp("registry")
    saved = workdir / "resources/downloads/manifestos/cc_muller.csv"
    saved.parent.mkdir(parents=True)
    shutil.copy(STAND_IN, saved)
    with SnakemakeApi(OutputSettings()) as api:
        wf = api.workflow(
            resource_settings=ResourceSettings(),
            config_settings=ConfigSettings(configfiles=[PAPER]),
            snakefile=ROOT / "Snakefile",
            workdir=workdir,
        )
        yield wf._workflow


def gpus(rule) -> int:
    value = dict(rule.resources).get("gpu", 0)
    return int(getattr(value, "value", value) or 0)


def test_every_backend_rule_follows_its_descriptor(workflow):
    compute = workflow.config["compute"]
    rules = {r.name: r for r in workflow.rules}
    local = set(workflow._localrules)
    for b in backends.registered():
        for name in b.rules():
            rule = rules[name]  # every backend has both rules
            asked = compute["annotate"]["gpu"] if b.gpu else 0
            assert gpus(rule) == asked, name
            want = env_file(b.env, compute["platform"], asked)
            assert Path(rule.conda_env).name == want, name
            assert (name in local) == b.local_rule, name
            assert rule.resources["_cores"] == (b.threads or compute["annotate"]["threads"])
    # The vLLM rules on a GPU get the CUDA build, content-free calibration included.
    assert Path(rules["content_free_vllm"].conda_env).name == "annotation-vllm-cuda13.yaml"
    # Every annotate/content_free rule belongs to a backend.
    for name in rules:
        if name.startswith(("annotate", "content_free", "product_annotate")):
            assert backends.by_rule(name) is not None, name


def test_slurm_profile_sends_every_gpu_rule_to_the_gpu_partition(workflow):
    profile = yaml.safe_load((ROOT / "profiles" / "slurm" / "profile.yaml").read_text())
    named = profile["set-resources"]
    rules = {r.name: r for r in workflow.rules}
    assert set(named) <= set(rules), set(named) - set(rules)  # no stale rule names
    submitted = set(rules) - set(workflow._localrules)
    gpu_rules = {n for n in submitted if gpus(rules[n]) > 0}
    assert {"content_free_vllm", "export_student", "annotate_vllm", "train_student"} <= gpu_rules
    to_gpu = {r for r, res in named.items() if res.get("slurm_partition") == "gpu"}
    assert gpu_rules == to_gpu
    assert "slurm_partition" not in profile["default-resources"]


def test_descriptors():
    assert backends.names() == ("transformers", "vllm", "openai", "openai_chat", "openai_batch")
    assert backends.of({}).name == "transformers"
    assert backends.by_rule("content_free_chat").name == "openai_chat"
    assert backends.by_rule("train_student") is None
    assert sorted(backends.local_rules()) == [
        "annotate_batch",
        "annotate_chat",
        "annotate_openai",
        "content_free_batch",
        "content_free_chat",
        "content_free_openai",
        "product_annotate_batch",
        "product_annotate_chat",
        "product_annotate_openai",
    ]
    with pytest.raises(ValueError, match="unknown teacher backend 'tgi'; one of"):
        backends.get("tgi")
    chat = {"backend": "openai_chat", "openai": {"api_key_env": "MY_KEY", "model": "m"}}
    assert backends.key_variable(chat) == "MY_KEY"
    assert backends.key_variable({"backend": "vllm"}) is None


def test_teacher_params_keep_only_the_backends_own_block():
    entry = {"backend": "vllm", "vllm": {"enforce_eager": True}, "openai": {"model": "m"}}
    assert teacher_params(entry) == {"backend": "vllm", "vllm": {"enforce_eager": True}}
    batch = {"backend": "openai_batch", "openai": {}, "batch": {}, "vllm": {}}
    assert teacher_params(batch) == {"backend": "openai_batch", "openai": {}, "batch": {}}
    plain = {"origin": {}, "vllm": {}, "openai": {}, "batch": {}}
    assert teacher_params(plain) == {"origin": {}}


def test_journal_key_of_existing_backends_is_unchanged():
    """The identity before the registry, written out by hand: a server teacher's connection
    settings are left out, everything else kept; a local engine's dtype resolved."""
    entry = {
        "backend": "openai",
        "dtype": "auto",
        "openai": {"model": "m", "api_key_env": "K", "concurrency": 8, "price": {}, "seed": 1},
    }
    assert engine_identity(entry) == {
        "backend": "openai",
        "dtype": "auto",
        "openai": {"model": "m", "seed": 1},
    }
    local = engine_identity({"dtype": "float32", "origin": {"kind": "local"}})
    assert local == {"backend": "transformers", "dtype": "float32", "origin": {"kind": "local"}}
    assert engine_identity({"backend": "vllm", "dtype": "float32", "vllm": {"x": 1}})["vllm"] == {
        "x": 1
    }


def test_missing_keys_name_the_config_key_never_the_value(monkeypatch):
    monkeypatch.delenv("LR_TEST_KEY", raising=False)
    config = {
        "teachers": {
            "hosted": {"backend": "openai_chat", "openai": {"api_key_env": "LR_TEST_KEY"}},
            "local": {"backend": "vllm"},
        }
    }
    msg = backends.missing_keys(config, ["hosted", "local", "hosted"])
    assert msg == [
        "teachers.hosted.openai.api_key_env: the environment variable it names is not set; "
        "export the API key under that name before running"
    ]
    monkeypatch.setenv("LR_TEST_KEY", "x")
    assert backends.missing_keys(config, ["hosted"]) == []


def test_every_teacher_class_satisfies_the_protocol():
    from labelrisk.teachers.batch_backend import BatchChatTeacher
    from labelrisk.teachers.chat_backend import ChatTeacher
    from labelrisk.teachers.openai_backend import OpenAITeacher
    from labelrisk.teachers.transformers_backend import TransformersTeacher
    from labelrisk.teachers.vllm_backend import VllmTeacher

    for cls in (BatchChatTeacher, ChatTeacher, OpenAITeacher, TransformersTeacher, VllmTeacher):
        assert issubclass(cls, backends.Teacher), cls
    assert not issubclass(dict, backends.Teacher)


def test_only_runs_that_call_a_server_need_its_key_variable(tmp_path):
    """A chat teacher whose key variable is unset: dry runs, --unlock, --report and a rebuild
    that asks no server run; a run that would ask it stops before any job, naming the key."""
    over = tmp_path / "over.yaml"
    over.write_text(
        "grid: {datasets: [movies], teachers: [chat], sizes: [16]}\n"
        "mitigations: {teachers: [], calibrated: [content_free]}\n"
        "annotation: {members: 1}\n"
        "teachers:\n"
        "  chat: {backend: openai_chat, openai: {base_url: 'http://127.0.0.1:9/v1',"
        " model: m, api_key_env: LR_ABSENT_KEY}}\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "LR_ABSENT_KEY"}
    configs = ["--configfile", str(ROOT / "config.yaml"), str(over)]

    def run(*args):
        cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), *args]
        res = subprocess.run(
            [*cmd, *configs], cwd=tmp_path, env=env, capture_output=True, text=True
        )
        return res.returncode, res.stdout + res.stderr

    code, out = run("-n")
    assert code == 0 and "annotate_chat" in out and "content_free_chat" in out
    assert "LR_ABSENT_KEY" not in out
    assert run("--unlock")[0] == 0
    # The report of an empty run fails on its missing results, never on the key.
    assert "LR_ABSENT_KEY" not in run("--report", "report.html")[1]
    code, out = run("--cores", "1", "results/annotations/movies/chat/member0.parquet")
    assert code != 0
    assert "teachers.chat.openai.api_key_env: the environment variable it names is not set" in out
    assert not (tmp_path / "results").exists()  # stopped before any job, downloads included
    code, out = run("--cores", "1", "results/data/movies/pool.parquet")  # no server asked
    assert code == 0, out


def test_the_schema_names_every_registered_backend():
    schema = yaml.safe_load((ROOT / "schemas" / "config.schema.yaml").read_text())
    teacher = schema["properties"]["teachers"]["additionalProperties"]
    assert tuple(teacher["properties"]["backend"]["enum"]) == backends.names()
    blocks = {b for b in backends.option_blocks()}
    assert blocks <= set(teacher["properties"])  # every option block has its schema
    # The schema's own split: backends that need `openai.model`, and those without a folder.
    server, no_folder = (teacher["allOf"][i]["if"]["properties"]["backend"]["enum"] for i in (0, 1))
    assert set(server) == {b.name for b in backends.registered() if b.server}
    assert set(no_folder) == {b.name for b in backends.registered() if not b.folder}
