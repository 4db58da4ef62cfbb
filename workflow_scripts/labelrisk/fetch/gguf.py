"""Convert a GGUF checkpoint once into a plain transformers folder (bf16 safetensors).

Loading from GGUF dequantises on every start (20-60 s); the converted folder loads in seconds
and is also the format vLLM reads. The conversion streams: one tensor is dequantised, cast and
added to the current shard at a time, and each shard is written as soon as it is full, so the
peak is a shard plus one float32 tensor, not the model twice (1.5B: 3.7 GB instead of 10 GB).
The tensors are those transformers' own GGUF loader yields (its name map and per-architecture
processors), cast as loading them into a `dtype` model does.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import torch
from gguf import GGUFReader, dequantize
from safetensors.torch import save_file
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer
from transformers.modeling_gguf_pytorch_utils import (
    TENSOR_PROCESSORS,
    TensorProcessor,
    get_gguf_hf_weights_map,
    load_gguf_checkpoint,
    read_field,
)

SHARD_BYTES = 1 << 29  # 512 MiB of bf16 per shard
ROWS_PER_CHUNK = 4096  # dequantised a slab of rows at a time: no whole-tensor temporaries


def gguf_to_transformers(gguf_path: Path, out_dir: Path, dtype: str = "bfloat16") -> None:
    gguf_path, out_dir = Path(gguf_path), Path(out_dir)
    kw = {"gguf_file": gguf_path.name}
    src = gguf_path.parent
    tokenizer = AutoTokenizer.from_pretrained(src, **kw)
    config = AutoConfig.from_pretrained(src, **kw)
    # The GGUF loader marks the config as quantised; the folder we write is not.
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config.torch_dtype = dtype
    with torch.device("meta"):  # names and shapes only, no memory
        model = AutoModelForCausalLM.from_config(config, torch_dtype=getattr(torch, dtype))
    out_dir.mkdir(parents=True, exist_ok=True)
    written = _stream_tensors(gguf_path, model, out_dir, getattr(torch, dtype))
    expected = set(model.state_dict())
    if config.tie_word_embeddings:
        expected -= {k for k in expected if k.endswith("lm_head.weight")}
    missing = sorted(expected - written)
    unexpected = sorted(written - set(model.state_dict()))
    if missing or unexpected:
        raise RuntimeError(f"GGUF conversion mismatch: missing={missing} unexpected={unexpected}")
    model.config.architectures = [type(model).__name__]  # as save_pretrained records it
    model.config.save_pretrained(out_dir)
    if model.can_generate():
        model.generation_config.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)


def _dequantised(tensor) -> np.ndarray:
    """The float32 values of one GGUF tensor, dequantised a slab of rows at a time."""
    data = tensor.data
    if data.ndim < 2 or data.shape[0] <= ROWS_PER_CHUNK:
        return dequantize(data, tensor.tensor_type)
    first = dequantize(data[:ROWS_PER_CHUNK], tensor.tensor_type)
    out = np.empty((data.shape[0], *first.shape[1:]), dtype=np.float32)
    out[:ROWS_PER_CHUNK] = first
    for start in range(ROWS_PER_CHUNK, data.shape[0], ROWS_PER_CHUNK):
        stop = start + ROWS_PER_CHUNK
        out[start:stop] = dequantize(data[start:stop], tensor.tensor_type)
    return out


def _stream_tensors(gguf_path: Path, model, out_dir: Path, dtype: torch.dtype) -> set[str]:
    """Write every mapped tensor of the GGUF into shards under `out_dir`; return their names."""
    reader = GGUFReader(gguf_path)
    parsed = load_gguf_checkpoint(gguf_path, return_tensors=False)
    parsed["tensors"] = {}  # processors of fused (MoE) tensors gather their parts here
    arch = read_field(reader, "general.architecture")[0]
    processor = TENSOR_PROCESSORS.get(arch, TensorProcessor)(config=parsed["config"])
    key_map = get_gguf_hf_weights_map(model, processor)
    tied = model.config.tie_word_embeddings
    shard, shard_bytes, shards = {}, 0, []

    def flush():
        nonlocal shard, shard_bytes
        if shard:
            name = f"part-{len(shards):05d}.safetensors"
            save_file(shard, out_dir / name, metadata={"format": "pt"})
            shards.append((name, list(shard), shard_bytes))
            logging.info("wrote %s (%d tensors, %.0f MB)", name, len(shard), shard_bytes / 1e6)
        shard, shard_bytes = {}, 0

    for tensor in reader.tensors:
        res = processor.process(
            weights=_dequantised(tensor),
            name=tensor.name,
            tensor_key_mapping=key_map,
            parsed_parameters=parsed,
        )
        ready = dict(parsed["tensors"])
        parsed["tensors"].clear()
        if res.name in key_map:
            ready[key_map[res.name]] = torch.from_numpy(np.require(res.weights, requirements="CW"))
        for name, value in ready.items():
            if tied and name.endswith("lm_head.weight"):
                continue  # tied to the embeddings, as save_pretrained leaves it out
            shard[name] = value.to(dtype).contiguous()
            shard_bytes += shard[name].numel() * shard[name].element_size()
            if shard_bytes >= SHARD_BYTES:
                flush()
        del res, ready  # the float32 copy goes before the next tensor is dequantised
    flush()
    _name_shards(out_dir, shards)
    return {name for _, names, _ in shards for name in names}


def _name_shards(out_dir: Path, shards: list[tuple[str, list[str], int]]) -> None:
    """Rename the shards as save_pretrained names them, with the index when there are several."""
    if len(shards) == 1:
        (out_dir / shards[0][0]).rename(out_dir / "model.safetensors")
        return
    weight_map, total = {}, 0
    for i, (tmp, names, size) in enumerate(shards, start=1):
        final = f"model-{i:05d}-of-{len(shards):05d}.safetensors"
        (out_dir / tmp).rename(out_dir / final)
        total += size
        weight_map.update(dict.fromkeys(names, final))
    index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
    (out_dir / "model.safetensors.index.json").write_text(json.dumps(index, indent=2) + "\n")
