"""Fine-tune an encoder classifier with transformers' Trainer (the paper's Appendix B set-up,
with what small training sets on a CPU need: docs/student-recipe.md).

A job may train several runs (sizes, seeds) of one label source: the tokenizer, the
tokenisation of every text and the test set are then prepared once and shared by the runs.
"""

from __future__ import annotations

import gc
import logging
import math
import shutil
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import f1_score
from transformers import (
    AutoModelForSequenceClassification,
    AutoTokenizer,
    DataCollatorWithPadding,
    Trainer,
    TrainerCallback,
    TrainingArguments,
    set_seed,
)

from labelrisk.devices import explain_failure, native_bf16, require_gpus
from labelrisk.students.fit import Fit, derived_seed, left_start, prior_loss
from labelrisk.students.soft_targets import soft_training

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Hyper:
    """Appendix B: 3 epochs, AdamW, lr 2e-5, batch 16/32, wd 0.01, linear, warmup 0.05."""

    epochs: float = 3.0
    learning_rate: float = 2e-5
    train_batch_size: int = 16
    eval_batch_size: int = 32
    weight_decay: float = 0.01
    warmup_ratio: float = 0.05
    lr_scheduler: str = "linear"
    max_grad_norm: float = 1.0
    max_length: int = 128
    # More epochs where a small training set would get fewer updates than this.
    min_steps: int = 0
    # Leave the word embeddings as pre-trained (most of a small encoder's weights).
    freeze_embeddings: bool = False
    # Restarts, with a derived seed, of a run whose training loss never left the label prior.
    restarts: int = 0
    # Best epoch by validation macro-F1, its weights kept in memory (no checkpoint writes) or
    # on disk as Trainer checkpoints (`disk`, at most `save_total_limit` of them).
    best_weights: str = "memory"
    save_total_limit: int = 2
    mixed_precision: bool = True
    # AdamW as one fused kernel: the same update, ~6x faster than the per-tensor loop on a CPU.
    optimizer: str = "adamw_torch_fused"
    group_by_length: bool = False
    # Each training batch's loss computed in this many parts of similar length, each padded to
    # its own longest text: the same batches and update with less padding (other dropout draws).
    length_chunks: int = 1
    # Pad every batch to max_length: the naive reference the benchmarks compare against.
    pad_to_max_length: bool = False
    # Attention kernel; None: eager on a CPU (its backward is faster there than sdpa's at
    # these lengths), sdpa on a GPU.
    attention: str | None = None

    @classmethod
    def from_config(cls, training: dict) -> Hyper:
        """The hyper-parameters of a `training` config section (schema defaults filled)."""
        return cls(**{f.name: training[f.name] for f in fields(cls) if f.name in training})


@dataclass(frozen=True)
class Run:
    """One fine-tuning run: its training and validation frames (id, text, label) and seed."""

    train: pd.DataFrame
    val: pd.DataFrame
    seed: int
    work_dir: Path


class Tokens:
    """Each distinct text tokenised once and shared by every run of a job."""

    def __init__(self, tokenizer, max_length: int):
        self.tokenizer = tokenizer
        self.max_length = max_length
        self._rows: dict[str, dict[str, list[int]]] = {}

    def add(self, texts: Iterable[str]) -> None:
        new = list(dict.fromkeys(t for t in texts if t not in self._rows))
        if not new:
            return
        enc = self.tokenizer(new, truncation=True, max_length=self.max_length)
        for i, text in enumerate(new):
            self._rows[text] = {k: v[i] for k, v in enc.items()}

    def rows(self, texts: Sequence[str]) -> list[dict[str, list[int]]]:
        self.add(texts)
        return [self._rows[t] for t in texts]


class _Encoded(torch.utils.data.Dataset):
    """Tokenised rows; evaluation sets are ordered by length so batches carry little padding."""

    def __init__(self, rows, labels=None, by_length=False):
        self.order = list(range(len(rows)))
        if by_length:
            self.order.sort(key=lambda i: len(rows[i]["input_ids"]))
        self.rows = [rows[i] for i in self.order]
        self.labels = None if labels is None else [int(labels[i]) for i in self.order]

    def restore(self, rows: np.ndarray) -> np.ndarray:
        """Rows in the caller's original order."""
        out = np.empty_like(rows)
        out[self.order] = rows
        return out

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        item = dict(self.rows[i])
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


class BestInMemory(TrainerCallback):
    """The weights of the epoch with the best validation macro-F1, kept in memory and restored
    when training ends: the Trainer's best-checkpoint selection (an epoch must improve on the
    best so far) without writing checkpoints."""

    def __init__(self):
        self.best: float | None = None
        self.weights: dict[str, torch.Tensor] | None = None

    def on_evaluate(self, args, state, control, metrics=None, model=None, **kwargs):
        value = metrics["eval_macro_f1"]
        if self.best is None or value > self.best:
            self.best = value
            self.weights = {k: v.detach().clone() for k, v in model.state_dict().items()}

    def on_train_end(self, args, state, control, model=None, **kwargs):
        if self.weights is not None:
            model.load_state_dict(self.weights)


def in_order(trainer_cls: type) -> type:
    """`trainer_cls` evaluating and predicting in dataset order. transformers' length-grouped
    sampling also shuffles evaluation sets, and `predict` returns its predictions in that
    shuffled order (test predictions no longer matched their items); evaluation sets here are
    ordered by length already."""

    class InOrder(trainer_cls):
        def _get_eval_sampler(self, eval_dataset):
            return torch.utils.data.SequentialSampler(eval_dataset)

    InOrder.__name__ = trainer_cls.__name__
    return InOrder


# The tensors of a batch that run along the text; the others (labels, soft targets) do not.
SEQUENCE_KEYS = ("input_ids", "token_type_ids", "attention_mask", "position_ids")


def in_length_chunks(trainer_cls: type, chunks: int) -> type:
    """`trainer_cls` computing each training batch's loss in `chunks` parts of texts of similar
    length, each cut to its own last real token: the batch's mean loss over the same items (so
    the same gradient and update) with less padding. Evaluation and prediction are unchanged."""
    if chunks <= 1:
        return trainer_cls

    class Chunked(trainer_cls):
        def compute_loss(self, model, inputs, return_outputs=False, **kwargs):
            if return_outputs or not model.training:
                return super().compute_loss(model, inputs, return_outputs=return_outputs, **kwargs)
            kwargs.pop("num_items_in_batch", None)  # each part's loss is its own mean
            mask = inputs["attention_mask"]
            order = torch.argsort(mask.sum(1), stable=True)
            loss = 0.0
            for part in torch.tensor_split(order, chunks):
                if len(part) == 0:
                    continue
                end = int(mask[part].any(0).nonzero().max()) + 1  # trailing padding: positions kept
                chunk = {
                    k: v[part, :end] if k in SEQUENCE_KEYS else v[part] for k, v in inputs.items()
                }
                loss = loss + super().compute_loss(model, chunk, **kwargs) * (
                    len(part) / len(order)
                )
            return loss

    Chunked.__name__ = trainer_cls.__name__
    return Chunked


def bf16_supported() -> bool:
    """bf16 autocast only where the CPU computes bf16 natively; emulated it is slower than fp32."""
    return torch.backends.mkldnn.is_available() and native_bf16()


def epochs_for(hp: Hyper, n_train: int) -> float:
    """`epochs`, or more where a small training set would get fewer than `min_steps` updates."""
    steps = math.ceil(n_train / hp.train_batch_size)
    return max(hp.epochs, math.ceil(hp.min_steps / steps))


def training_arguments(
    hp: Hyper, seed: int, work_dir: Path, progress: bool = True, epochs: float | None = None
) -> TrainingArguments:
    gpu = torch.cuda.is_available()
    on_disk = hp.best_weights == "disk"
    return TrainingArguments(
        output_dir=str(work_dir),
        num_train_epochs=hp.epochs if epochs is None else epochs,
        learning_rate=hp.learning_rate,
        per_device_train_batch_size=hp.train_batch_size,
        per_device_eval_batch_size=hp.eval_batch_size,
        weight_decay=hp.weight_decay,
        lr_scheduler_type=hp.lr_scheduler,
        max_grad_norm=hp.max_grad_norm,
        warmup_steps=hp.warmup_ratio,  # a float below 1 is a ratio of the total steps
        optim=hp.optimizer,
        eval_strategy="epoch",
        # On disk: a checkpoint only when validation macro-F1 improves.
        save_strategy="best" if on_disk else "no",
        save_total_limit=hp.save_total_limit,
        save_only_model=True,
        load_best_model_at_end=on_disk,
        metric_for_best_model="macro_f1",
        greater_is_better=True,
        logging_strategy="epoch",
        seed=seed,
        data_seed=seed,
        full_determinism=True,
        train_sampling_strategy="group_by_length" if hp.group_by_length else "random",
        use_cpu=not gpu,
        bf16=hp.mixed_precision and not gpu and bf16_supported(),
        fp16=hp.mixed_precision and gpu,
        report_to="none",
        dataloader_num_workers=0,
        disable_tqdm=not progress,
    )


def student_model(model_dir: str, n_classes: int, hp: Hyper):
    """The pre-trained encoder with a new classification head, as the Trainer gets it."""
    attention = hp.attention or ("sdpa" if torch.cuda.is_available() else "eager")
    model = AutoModelForSequenceClassification.from_pretrained(
        model_dir, num_labels=n_classes, attn_implementation=attention
    )
    if hp.freeze_embeddings:
        model.get_input_embeddings().weight.requires_grad_(False)
    return model


def _history(log_history: list[dict]) -> tuple[list[float], list[float]]:
    losses = [h["loss"] for h in log_history if "loss" in h]
    val_f1 = [h["eval_macro_f1"] for h in log_history if "eval_macro_f1" in h]
    return losses, val_f1


@dataclass
class TrainingJob:
    """What every run of a training job shares: the model, its tokenizer's rows (each text
    tokenised once), the test set and the batch collator."""

    model_dir: str
    n_classes: int
    hp: Hyper
    tokens: Tokens
    test_set: _Encoded
    collator: DataCollatorWithPadding
    progress: bool


@dataclass
class Trained:
    """A run's training: the Trainer of its last attempt, the seeds tried, the label prior's
    loss and the loss and validation macro-F1 by epoch."""

    trainer: Trainer
    seeds_tried: list[int]
    prior: float
    losses: list[float]
    val_f1: list[float]


def prepare_job(
    model_dir: str,
    n_classes: int,
    test: pd.DataFrame,
    hp: Hyper,
    threads: int | None,
    progress: bool,
) -> TrainingJob:
    """The set-up every run of the job shares, made once."""
    require_gpus()  # a job that asked for a GPU never trains on the CPU
    if threads:
        torch.set_num_threads(threads)
    tok = AutoTokenizer.from_pretrained(model_dir)
    tokens = Tokens(tok, hp.max_length)
    test_set = _Encoded(tokens.rows(test.text.tolist()), by_length=True)
    collator = (
        DataCollatorWithPadding(tok, padding="max_length", max_length=hp.max_length)
        if hp.pad_to_max_length
        else DataCollatorWithPadding(tok)
    )
    return TrainingJob(model_dir, n_classes, hp, tokens, test_set, collator, progress)


def trainer_for(job: TrainingJob, run: Run, train_rows, val_set: _Encoded, seed: int) -> Trainer:
    """A Trainer of a new student seeded with `seed`: soft targets when the training frame
    carries the teacher's p_k columns, the best epoch's weights kept as `hp.best_weights` says."""
    hp = job.hp
    set_seed(seed, deterministic=True)  # fixes the new head's initial weights
    model = student_model(job.model_dir, job.n_classes, hp)
    encoded = _Encoded(train_rows, run.train.label.tolist())
    trainer_cls, train_set = soft_training(run.train, encoded)
    args = training_arguments(hp, seed, run.work_dir, job.progress, epochs_for(hp, len(run.train)))
    return in_order(in_length_chunks(trainer_cls, hp.length_chunks))(
        model=model,
        args=args,
        train_dataset=train_set,
        eval_dataset=val_set,
        data_collator=job.collator,
        compute_metrics=macro_f1_metric(job.n_classes),
        callbacks=[BestInMemory()] if hp.best_weights == "memory" else None,
    )


def train_run(job: TrainingJob, run: Run) -> Trained:
    """Train one run; a run whose training loss never left the label prior is restarted up to
    `hp.restarts` times with a derived seed (labels of one class leave nothing to learn beyond
    the prior: never restarted)."""
    train_rows = job.tokens.rows(run.train.text.tolist())
    val_set = _Encoded(job.tokens.rows(run.val.text.tolist()), run.val.label.tolist(), True)
    prior = prior_loss(run.train, job.n_classes)
    tried: list[int] = []
    for attempt in range(job.hp.restarts + 1):
        seed = derived_seed(run.seed, attempt)
        tried.append(seed)
        trainer = trainer_for(job, run, train_rows, val_set, seed)
        try:
            trainer.train()
        except RuntimeError as e:  # torch.cuda.OutOfMemoryError among them
            known = explain_failure(f"{type(e).__name__}: {e}")
            if known:
                raise RuntimeError(f"{len(run.train)} items, seed {seed}: {known}") from e
            raise
        losses, val_f1 = _history(trainer.state.log_history)
        if left_start(losses, prior) or prior == 0 or attempt == job.hp.restarts:
            break
        log.warning(
            "%d items, seed %d: training loss %s never left the label prior's %.3f; "
            "restarting with seed %d",
            len(run.train),
            seed,
            " ".join(f"{x:.3f}" for x in losses),
            prior,
            derived_seed(run.seed, attempt + 1),
        )
        shutil.rmtree(run.work_dir, ignore_errors=True)
    return Trained(trainer, tried, prior, losses, val_f1)


def predict(job: TrainingJob, trainer: Trainer, test: pd.DataFrame) -> pd.DataFrame:
    """One row per test item: id, pred, p_0..p_{K-1}."""
    logits = job.test_set.restore(trainer.predict(job.test_set).predictions)
    probs = torch.softmax(torch.tensor(logits, dtype=torch.float32), -1).numpy()
    out = pd.DataFrame({"id": test.id.to_numpy(), "pred": probs.argmax(1)})
    for k in range(job.n_classes):
        out[f"p_{k}"] = probs[:, k]
    return out


def fit_of(run: Run, trained: Trained, pred: pd.DataFrame, n_classes: int) -> Fit:
    share = np.bincount(pred.pred, minlength=n_classes) / len(pred)
    return Fit(
        size=len(run.train),
        seed=run.seed,
        prior_loss=trained.prior,
        losses=trained.losses,
        val_f1=trained.val_f1,
        seeds_tried=trained.seeds_tried,
        test_share=float(share.max()),
        test_class=int(share.argmax()),
    )


def clean_up(trainer: Trainer, work_dir: Path, keep_model: bool) -> None:
    """Keep the best weights alone (`work_dir/best`) or nothing of the run."""
    if keep_model:
        trainer.save_model(str(Path(work_dir) / "best"))
        for ckpt in Path(work_dir).glob("checkpoint-*"):
            shutil.rmtree(ckpt)
    else:
        shutil.rmtree(work_dir, ignore_errors=True)


def train_runs(
    model_dir: str,
    n_classes: int,
    runs: Sequence[Run],
    test: pd.DataFrame,
    hp: Hyper = Hyper(),
    keep_model: bool = False,
    threads: int | None = None,
    progress: bool = True,
    fits: list[Fit] | None = None,
) -> Iterator[pd.DataFrame]:
    """Train each run, pick its best epoch on its validation set, predict `test`.

    Yields, run by run, one row per test item: id, pred, p_0..p_{K-1}. `progress` shows the
    Trainer's step bars (a caller looping over many short runs shows its own instead). A run
    whose training loss never left the label prior is restarted up to `hp.restarts` times with
    a derived seed; what each run did is logged and appended to `fits`.
    """
    job = prepare_job(model_dir, n_classes, test, hp, threads, progress)
    # The Trainer calls gc.collect() for every run; the long-lived objects made so far (modules,
    # tokenizer, test set) need not be traversed each time (0.2-0.5 s per run otherwise).
    # Scoped to this generator: a caller's own objects are collected as before.
    gc.freeze()
    try:
        for run in runs:
            trained = train_run(job, run)
            out = predict(job, trained.trainer, test)
            fit = fit_of(run, trained, out, n_classes)
            fit.log()
            if fits is not None:
                fits.append(fit)
            clean_up(trained.trainer, run.work_dir, keep_model)
            yield out
    finally:
        gc.unfreeze()


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
    """One run: train on `train`, pick the best epoch on `val`, predict `test` (the preflight's
    training step; the workflow's jobs call `train_runs`)."""
    run = Run(train=train, val=val, seed=seed, work_dir=Path(work_dir))
    return next(train_runs(model_dir, n_classes, [run], test, hp, keep_model, threads))
