"""Frozen student text embeddings: the mean of the encoder's last hidden states over tokens."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch
from transformers import AutoModel, AutoTokenizer


@torch.inference_mode()
def embed(
    model_dir: str, ids: Sequence[str], texts: Sequence[str], max_length: int, batch: int = 32
) -> pd.DataFrame:
    """One row per text, indexed by id, columns e_0..e_{d-1}; padding is left out of the mean."""
    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModel.from_pretrained(model_dir).eval()
    rows = []
    texts = list(texts)
    for i in range(0, len(texts), batch):
        enc = tok(
            texts[i : i + batch],
            truncation=True,
            max_length=max_length,
            padding=True,
            return_tensors="pt",
        )
        hidden = model(**enc).last_hidden_state
        m = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        rows.append(((hidden * m).sum(1) / m.sum(1)).float().numpy())
    emb = np.concatenate(rows) if rows else np.zeros((0, model.config.hidden_size))
    out = pd.DataFrame(emb, columns=[f"e_{j}" for j in range(emb.shape[1])])
    out.index = pd.Index(list(ids), name="id")
    return out
