"""Parts of the vLLM and server backends that need no engine: distributions, requests, routing."""

import importlib
import re
import sys

import numpy as np
import pytest

from conftest import ROOT, snakemake
from labelrisk.annotation.job import engine_identity
from labelrisk.teachers.logprobs import MissingClassLogprob, class_scores
from labelrisk.teachers.openai_backend import constraint_body
from labelrisk.teachers.vllm_worker import vllm_options


@pytest.mark.unit
def test_post_mask_logprobs_renormalise_and_have_no_mass():
    # What vLLM returns under guided choice: class tokens finite, the rest -inf.
    reported = [{16: -0.2812, 15: -1.4062, 3: -np.inf}, {15: -0.1, 16: -2.4}]
    s = class_scores(reported, [15, 16], pre_mask=False)
    p0 = np.exp([-1.4062, -0.2812]) / np.exp([-1.4062, -0.2812]).sum()
    np.testing.assert_allclose(s.probs[0], p0)
    assert s.probs[1].argmax() == 0 and np.isnan(s.class_mass).all()


@pytest.mark.unit
def test_pre_mask_logprobs_give_the_class_mass():
    reported = [{"1": np.log(0.5), "0": np.log(0.2), "positive": np.log(0.3)}]
    s = class_scores(reported, ["0", "1"], pre_mask=True)
    np.testing.assert_allclose(s.probs[0], [0.2 / 0.7, 0.5 / 0.7])
    np.testing.assert_allclose(s.class_mass, [0.7])


@pytest.mark.unit
def test_a_missing_class_is_an_error_unless_zero_is_asked_for():
    reported = [{"1": -0.1, "positive": -3.0}]
    with pytest.raises(MissingClassLogprob, match="class 0"):
        class_scores(reported, ["0", "1"], pre_mask=True)
    s = class_scores(reported, ["0", "1"], pre_mask=True, missing="zero")
    assert s.probs[0].tolist() == [0.0, 1.0]


@pytest.mark.unit
def test_constraint_bodies_name_each_servers_field():
    assert constraint_body("structured_outputs", ["0", "1"]) == {
        "structured_outputs": {"choice": ["0", "1"]}
    }
    assert constraint_body("guided_choice", ["0"]) == {"guided_choice": ["0"]}
    assert constraint_body("gbnf", ["0", "1", "2"]) == {"grammar": 'root ::= "0" | "1" | "2"'}
    assert constraint_body("none", ["0"]) == {}
    with pytest.raises(ValueError, match="unknown constraint"):
        constraint_body("regex", ["0"])


@pytest.mark.unit
def test_journals_of_different_engines_never_mix():
    tf = engine_identity({"backend": "transformers", "dtype": "bfloat16"})
    vl = engine_identity({"backend": "vllm", "dtype": "bfloat16"})
    srv = engine_identity({"backend": "openai", "openai": {"base_url": "u", "model": "m"}})
    assert len({str(tf), str(vl), str(srv)}) == 3
    assert "key" not in str(srv).lower()


@pytest.mark.unit
def test_vllm_options_drop_the_interpreter():
    cfg = {"dtype": "float32", "vllm": {"python": "/v/bin/python", "chunk_size": 8}}
    assert vllm_options(cfg) == {"dtype": "float32", "chunk_size": 8}


@pytest.mark.unit
def test_vllm_is_imported_only_when_used():
    sys.modules.pop("labelrisk.teachers.vllm_backend", None)
    importlib.import_module("labelrisk.teachers.vllm_backend")
    importlib.import_module("labelrisk.teachers.vllm_worker")
    assert "vllm" not in sys.modules


def _config(tmp_path, key_env):
    (tmp_path / "x").mkdir(exist_ok=True)  # the teachers' local folder: an input of fetch_teacher
    (tmp_path / "x" / "config.json").write_text("{}")
    cfg = tmp_path / "backends.yaml"
    cfg.write_text(
        "grid: {datasets: [movies], teachers: [tf, vl, srv], student: minilm-l6, sizes: [16]}\n"
        "annotation: {members: 1}\n"
        "mitigations: {teachers: [tf], ensemble: false, vote: false}\n"
        "teachers:\n"
        "  tf: {origin: {kind: local, path: x}}\n"
        "  vl: {backend: vllm, origin: {kind: local, path: x}}\n"
        f"  srv: {{backend: openai, origin: {{kind: local, path: x}},"
        f" openai: {{model: m, api_key_env: {key_env}}}}}\n"
    )
    return ["-n", "-d", str(tmp_path), "--configfile", str(ROOT / "config.yaml"), str(cfg)]


@pytest.mark.dag
def test_each_backend_has_its_rule_and_the_key_must_be_set(tmp_path, monkeypatch):
    args = _config(tmp_path, "LABELRISK_TEST_KEY")
    monkeypatch.delenv("LABELRISK_TEST_KEY", raising=False)
    res = snakemake(*args, check=False)
    assert res.returncode != 0 and "LABELRISK_TEST_KEY" in res.stdout + res.stderr
    monkeypatch.setenv("LABELRISK_TEST_KEY", "not-a-real-key")
    res = snakemake(*args)
    blocks = re.split(r"^(?:local)?rule ", res.stdout, flags=re.M)
    plan = {
        m.group(1): b.split(":", 1)[0]
        for b in blocks
        if (m := re.search(r"output: results/annotations/movies/([\w-]+)/", b))
    }
    assert plan == {"tf": "annotate", "vl": "annotate_vllm", "srv": "annotate_openai"}


@pytest.mark.dag
def test_a_server_teacher_must_name_its_model(tmp_path):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("teachers: {srv: {backend: openai, origin: {kind: local, path: x}}}\n")
    res = snakemake(
        "-n", "-d", str(tmp_path), "--configfile", str(ROOT / "config.yaml"), str(cfg), check=False
    )
    out = res.stdout + res.stderr
    assert res.returncode != 0 and "teachers.srv" in out and "openai" in out
