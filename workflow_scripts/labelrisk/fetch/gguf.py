"""Convert a GGUF checkpoint once into a plain transformers folder (bf16 safetensors).

Loading from GGUF dequantises on every start (20-60 s); the converted folder loads in seconds
and is also the format vLLM reads.
"""

from __future__ import annotations

from pathlib import Path

import torch
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer


def gguf_to_transformers(gguf_path: Path, out_dir: Path, dtype: str = "bfloat16") -> None:
    gguf_path, out_dir = Path(gguf_path), Path(out_dir)
    kw = {"gguf_file": gguf_path.name}
    src = gguf_path.parent
    tokenizer = AutoTokenizer.from_pretrained(src, **kw)
    loaded = AutoModelForCausalLM.from_pretrained(src, **kw)
    config = AutoConfig.from_pretrained(src, **kw)
    # The GGUF loader marks the config as quantised; the folder we write is not.
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config.torch_dtype = dtype
    model = AutoModelForCausalLM.from_config(config, torch_dtype=getattr(torch, dtype))
    missing, unexpected = model.load_state_dict(loaded.state_dict(), strict=False)
    missing = [k for k in missing if not k.endswith("lm_head.weight")]
    if missing or unexpected:
        raise RuntimeError(f"GGUF conversion mismatch: missing={missing} unexpected={unexpected}")
    model.tie_weights()
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
