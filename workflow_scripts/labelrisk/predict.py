"""Label new texts with an exported model folder: `python -m labelrisk.predict MODEL IN OUT`
(with labelrisk's workflow_scripts on PYTHONPATH), or `python predict.py MODEL IN OUT` run from
anywhere: it needs only pandas, pyarrow, PyYAML, torch, transformers and tqdm.

IN is a table (.csv, .tsv, .jsonl or .parquet) with a text column; OUT (same formats) gets every
input row, in order, with the predicted label, one probability column per class (`p_<label>`)
and the model's name.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

FORMATS = (".csv", ".tsv", ".jsonl", ".parquet")


def _format(path: Path) -> str:
    if path.suffix not in FORMATS:
        raise SystemExit(f"{path}: unknown table format {path.suffix!r}; one of {list(FORMATS)}")
    return path.suffix


def read_texts(path: str | Path, column: str = "text") -> pd.DataFrame:
    """The input table; stops, naming the file, when it has no `column` or a text is empty."""
    path = Path(path)
    fmt = _format(path)
    if fmt in (".csv", ".tsv"):
        sep = "," if fmt == ".csv" else "\t"
        table = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False)
    elif fmt == ".jsonl":
        table = pd.read_json(path, lines=True, dtype=False)
    else:
        table = pd.read_parquet(path)
    if column not in table:
        raise SystemExit(
            f"{path}: no column {column!r} (it has {list(table.columns)}); "
            "name the text column with --text-column"
        )
    empty = table[column].isna() | (table[column].astype(str).str.strip() == "")
    if empty.any():
        rows = (np.flatnonzero(empty) + 1)[:5].tolist()
        raise SystemExit(f"{path}: {int(empty.sum())} empty texts (rows {rows}); remove them")
    return table


def write_table(table: pd.DataFrame, path: str | Path) -> None:
    path = Path(path)
    fmt = _format(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt in (".csv", ".tsv"):
        table.to_csv(path, sep="," if fmt == ".csv" else "\t", index=False)
    elif fmt == ".jsonl":
        table.to_json(path, orient="records", lines=True, force_ascii=False)
    else:
        table.to_parquet(path, index=False)


def device_of(name: str) -> str:
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return name


def predict(
    model_dir: str | Path,
    texts: list[str],
    batch_size: int = 32,
    device: str = "auto",
    max_length: int | None = None,
) -> tuple[np.ndarray, list[str]]:
    """Class probabilities (texts x classes) and the class names, batch by batch."""
    import torch
    from tqdm import tqdm
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    dev = device_of(device)
    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir).to(dev).eval()
    names = [model.config.id2label[k] for k in range(model.config.num_labels)]
    # Longest first: batches of like lengths pad least; put back in order below.
    order = np.argsort([-len(t) for t in texts], kind="stable")
    probs = np.zeros((len(texts), len(names)), dtype=np.float64)
    with torch.inference_mode():
        for start in tqdm(range(0, len(texts), batch_size), desc="predict", unit="batch"):
            idx = order[start : start + batch_size]
            enc = tok(
                [texts[i] for i in idx],
                truncation=True,
                max_length=max_length or tok.model_max_length,
                padding=True,
                return_tensors="pt",
            ).to(dev)
            logits = model(**enc).logits.float()
            probs[idx] = torch.softmax(logits, -1).cpu().numpy()
    return probs, names


def model_name(model_dir: str | Path) -> str:
    """The name the model card's header gives (`model-index`), else the folder's name."""
    import yaml

    card = Path(model_dir) / "README.md"
    if card.is_file():
        _, sep, rest = card.read_text(encoding="utf-8").partition("---\n")
        if sep:
            try:
                meta = yaml.safe_load(rest.partition("\n---")[0]) or {}
                return str(meta["model-index"][0]["name"])
            except (yaml.YAMLError, KeyError, IndexError, TypeError):
                pass
    return Path(model_dir).resolve().name


def label_table(
    model_dir: str | Path, table: pd.DataFrame, column: str = "text", **kwargs
) -> pd.DataFrame:
    """`table` with columns label, p_<label> per class and model (`model_name`)."""
    probs, names = predict(model_dir, table[column].astype(str).tolist(), **kwargs)
    out = table.copy()
    out["label"] = [names[k] for k in probs.argmax(1)]
    for k, name in enumerate(names):
        out[f"p_{name}"] = probs[:, k]
    out["model"] = model_name(model_dir)
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model", help="exported model folder (config.json, weights, tokenizer)")
    ap.add_argument("input", help="table of texts: .csv, .tsv, .jsonl or .parquet")
    ap.add_argument("output", help="predictions table: .csv, .tsv, .jsonl or .parquet")
    ap.add_argument("--text-column", default="text")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--device", default="auto", help="auto (a GPU when there is one), cpu, cuda")
    ap.add_argument("--max-length", type=int, default=None, help="tokens per text (model's max)")
    args = ap.parse_args(argv)
    if not (Path(args.model) / "config.json").is_file():
        raise SystemExit(f"{args.model}: not a model folder (no config.json)")
    table = read_texts(args.input, args.text_column)
    out = label_table(
        args.model,
        table,
        args.text_column,
        batch_size=args.batch_size,
        device=args.device,
        max_length=args.max_length,
    )
    write_table(out, args.output)
    print(f"{len(out)} predictions written to {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
