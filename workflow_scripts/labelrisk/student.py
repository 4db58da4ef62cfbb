"""Fine-tune an encoder classifier with transformers' Trainer (the paper's Appendix B set-up)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import f1_score
from transformers import (
    AutoModelForSequenceClassification,
    AutoTokenizer,
    DataCollatorWithPadding,
    TrainingArguments,
    set_seed,
)

from .soft_targets import soft_training


@dataclass(frozen=True)
class Hyper:
    """Appendix B: 3 epochs, AdamW, lr 2e-5, batch 16/32, wd 0.01, linear, warmup 0.05."""

    epochs: float = 3.0
    learning_rate: float = 2e-5
    train_batch_size: int = 16
    eval_batch_size: int = 32
    weight_decay: float = 0.01
    warmup_ratio: float = 0.05
    max_length: int = 128
    save_total_limit: int = 2
    mixed_precision: bool = True


class _Encoded(torch.utils.data.Dataset):
    """Tokenised once; evaluation sets are ordered by length so batches carry little padding."""

    def __init__(self, tokenizer, texts, labels, max_length, by_length=False):
        enc = tokenizer(list(texts), truncation=True, max_length=max_length)
        n = len(enc["input_ids"])
        self.order = (
            sorted(range(n), key=lambda i: len(enc["input_ids"][i]))
            if by_length
            else list(range(n))
        )
        self.enc = {k: [v[i] for i in self.order] for k, v in enc.items()}
        self.labels = None if labels is None else [int(labels.iloc[i]) for i in self.order]

    def restore(self, rows: np.ndarray) -> np.ndarray:
        """Rows in the caller's original order."""
        out = np.empty_like(rows)
        out[self.order] = rows
        return out

    def __len__(self):
        return len(self.enc["input_ids"])

    def __getitem__(self, i):
        item = {k: v[i] for k, v in self.enc.items()}
        if self.labels is not None:
            item["labels"] = self.labels[i]
        return item


def macro_f1_metric(n_classes: int):
    """Validation macro-F1 over every class, also those absent from a small validation set."""

    def compute(eval_pred) -> dict[str, float]:
        logits, labels = eval_pred
        pred = np.argmax(logits, -1)
        f1 = f1_score(labels, pred, average="macro", labels=list(range(n_classes)), zero_division=0)
        return {"macro_f1": f1}

    return compute


def bf16_supported() -> bool:
    return torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported()


def train_and_predict(
    model_dir: str,
    n_classes: int,
    train: pd.DataFrame,
    val: pd.DataFrame,
    test: pd.DataFrame,
    seed: int,
    work_dir: str | Path,
    hp: Hyper = Hyper(),
    keep_model: bool = False,
    threads: int | None = None,
) -> pd.DataFrame:
    """Train on `train` (text, label), pick the best epoch on `val`, predict `test`.

    Returns one row per test item: id, pred, p_0..p_{K-1}.
    """
    if threads:
        torch.set_num_threads(threads)
    tok = AutoTokenizer.from_pretrained(model_dir)
    set_seed(seed, deterministic=True)  # fixes the new head's initial weights
    model = AutoModelForSequenceClassification.from_pretrained(model_dir, num_labels=n_classes)

    args = TrainingArguments(
        output_dir=str(work_dir),
        num_train_epochs=hp.epochs,
        learning_rate=hp.learning_rate,
        per_device_train_batch_size=hp.train_batch_size,
        per_device_eval_batch_size=hp.eval_batch_size,
        weight_decay=hp.weight_decay,
        lr_scheduler_type="linear",
        warmup_steps=hp.warmup_ratio,
        optim="adamw_torch",
        eval_strategy="epoch",
        save_strategy="best",  # a checkpoint only when validation macro-F1 improves
        save_total_limit=hp.save_total_limit,
        save_only_model=True,
        load_best_model_at_end=True,
        metric_for_best_model="macro_f1",
        greater_is_better=True,
        logging_strategy="epoch",
        seed=seed,
        data_seed=seed,
        full_determinism=True,
        use_cpu=not torch.cuda.is_available(),
        bf16=hp.mixed_precision and not torch.cuda.is_available() and bf16_supported(),
        fp16=hp.mixed_precision and torch.cuda.is_available(),
        report_to="none",
        dataloader_num_workers=0,
    )
    # Soft targets when the training frame carries the teacher's p_k columns.
    trainer_cls, train_set = soft_training(
        train, _Encoded(tok, train.text, train.label, hp.max_length)
    )
    trainer = trainer_cls(
        model=model,
        args=args,
        train_dataset=train_set,
        eval_dataset=_Encoded(tok, val.text, val.label, hp.max_length, by_length=True),
        data_collator=DataCollatorWithPadding(tok),
        compute_metrics=macro_f1_metric(n_classes),
    )
    trainer.train()
    test_set = _Encoded(tok, test.text, None, hp.max_length, by_length=True)
    logits = test_set.restore(trainer.predict(test_set).predictions)
    probs = torch.softmax(torch.tensor(logits, dtype=torch.float32), -1).numpy()
    out = pd.DataFrame({"id": test.id.to_numpy(), "pred": probs.argmax(1)})
    for k in range(n_classes):
        out[f"p_{k}"] = probs[:, k]
    if keep_model:
        trainer.save_model(str(Path(work_dir) / "best"))
        for ckpt in Path(work_dir).glob("checkpoint-*"):
            shutil.rmtree(ckpt)
    else:
        shutil.rmtree(work_dir, ignore_errors=True)
    return out
