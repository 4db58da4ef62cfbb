"""Teacher diagnostics from the teacher-quality table: figures of member 0's plain labels, and
a table of member 0 before and after each gold-free calibration (column `calibration`)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd


def _plain(teachers: pd.DataFrame) -> pd.DataFrame:
    """Member 0 as labelled (rows of calibrated distributions left out)."""
    plain = teachers.member == 0
    if "calibration" in teachers:
        plain &= teachers.calibration.fillna("none") == "none"
    return teachers[plain]


def _grid(teachers: pd.DataFrame, datasets: Sequence[str]):
    first = _plain(teachers)
    names = list(dict.fromkeys(first.teacher))
    fig, axes = plt.subplots(
        len(datasets), len(names), figsize=(3.6 * len(names), 3.3 * len(datasets)), squeeze=False
    )
    return fig, axes, first, names


def _panels(teachers: pd.DataFrame, datasets: Sequence[str]):
    """The figure and, per (dataset, teacher) panel with data, (axes, dataset, teacher, row)."""
    fig, axes, first, names = _grid(teachers, datasets)
    panels = []
    for i, ds in enumerate(datasets):
        for j, t in enumerate(names):
            row = first[(first.dataset == ds) & (first.teacher == t)]
            if row.empty:
                axes[i, j].set_visible(False)
            else:
                panels.append((axes[i, j], ds, t, row))
    return fig, panels


def confusion_figure(teachers: pd.DataFrame, labels: Mapping[str, Sequence[str]]):
    """Row-normalised confusion matrices (rows: gold class, columns: teacher's class)."""
    fig, panels = _panels(teachers, list(labels))
    for ax, ds, t, row in panels:
        cm = np.array(json.loads(row.confusion.iloc[0]), dtype=float)
        norm = cm / np.clip(cm.sum(1, keepdims=True), 1, None)
        ax.imshow(norm, vmin=0, vmax=1, cmap="Blues")
        for (r, c), v in np.ndenumerate(cm):
            ax.text(
                c,
                r,
                int(v),
                ha="center",
                va="center",
                color="white" if norm[r, c] > 0.5 else "black",
            )
        ticks = range(len(labels[ds]))
        ax.set_xticks(ticks, labels[ds], rotation=30)
        ax.set_yticks(ticks, labels[ds])
        ax.set_title(f"{ds} / {t}", fontsize=9)
        ax.set_xlabel("teacher")
        ax.set_ylabel("gold")
    fig.tight_layout()
    return fig


def reliability_figure(teachers: pd.DataFrame, datasets: Sequence[str]):
    """Accuracy against mean confidence per bin, marker area by item count; ECE in the title."""
    fig, panels = _panels(teachers, datasets)
    for ax, ds, t, row in panels:
        bins = np.array(json.loads(row.reliability.iloc[0]), dtype=float)
        full = bins[bins[:, 0] > 0]
        ax.plot([0, 1], [0, 1], ":", color="grey")
        ax.plot(full[:, 1], full[:, 2], "-", color="C0")
        ax.scatter(full[:, 1], full[:, 2], s=20 + 200 * full[:, 0] / full[:, 0].sum(), color="C0")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_title(f"{ds} / {t}: ECE {row.ece.iloc[0]:.3f}", fontsize=9)
        ax.set_xlabel("confidence")
        ax.set_ylabel("accuracy")
    fig.tight_layout()
    return fig


def diagnostics_table(teachers: pd.DataFrame) -> pd.DataFrame:
    """Member 0 per (dataset, teacher), as labelled (`calibration` none) and after each
    calibration: accuracy, macro-F1, ECE, gold cross-entropy, per-class recall."""
    first = teachers[teachers.member == 0].copy()
    if "calibration" not in first:
        first["calibration"] = "none"
    first["calibration"] = first.calibration.fillna("none")
    recall = sorted((c for c in first if c.startswith("recall_class_")), key=lambda c: int(c[13:]))
    cols = ["dataset", "teacher", "calibration", "accuracy", "macro_f1", "ece"]
    cols += ["gold_cross_entropy"] + recall
    # Each (dataset, teacher) block: as labelled first, then the calibrations.
    order = first.groupby(["dataset", "teacher"], sort=False).ngroup()
    first = first.assign(_order=order, _calibrated=first.calibration != "none")
    first = first.sort_values(["_order", "_calibrated"], kind="stable")
    return first[cols].reset_index(drop=True)
