"""The risk as a picture: a forest plot of what training on a teacher's labels costs against
gold (accuracy and macro-F1, points, with their 95% intervals) per dataset and teacher (and
label source, where the risk table has one row per source), the minimum detectable cost marked
where the table gives it (`detectable_cost`)."""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

METRICS = (("accuracy", "accuracy"), ("macro_f1", "macro-F1"))


def row_names(table: pd.DataFrame) -> list[str]:
    """`dataset, teacher` (and the source's method where rows are per source)."""
    names = table.dataset + ", " + table.teacher
    if "source" in table:
        names = names + " " + table.source.str.rpartition("/")[2]
    return list(names)


def forest(table: pd.DataFrame):
    """One panel per metric; a row per risk-table row, top to bottom in the table's order."""
    n = len(table)
    fig, axes = plt.subplots(
        1, 2, figsize=(6.4, 0.9 + 0.42 * n), sharey=True, constrained_layout=True
    )
    y = np.arange(n)[::-1]
    for ax, (key, title) in zip(axes, METRICS, strict=True):
        cost = 100 * table[f"{key}_cost"].to_numpy(float)
        low = 100 * table[f"{key}_low"].to_numpy(float)
        high = 100 * table[f"{key}_high"].to_numpy(float)
        measured = high < 0
        ax.axvline(0, color="0.4", lw=0.8)
        if "detectable_cost" in table:
            mdc = 100 * table["detectable_cost"].to_numpy(float)
            ax.scatter(-mdc, y, marker="|", s=120, color="C3", label="minimum detectable cost")
        ax.errorbar(
            cost,
            y,
            xerr=[cost - low, high - cost],
            fmt="none",
            ecolor="0.3",
            elinewidth=1.2,
            capsize=3,
        )
        ax.scatter(cost[measured], y[measured], color="C0", zorder=3, label="cost measured")
        ax.scatter(
            cost[~measured],
            y[~measured],
            facecolor="white",
            edgecolor="C0",
            zorder=3,
            label="cannot tell from 0",
        )
        ax.set_title(f"{title}: teacher - gold", fontsize=9)
        ax.set_xlabel("points (95% interval)", fontsize=8)
        ax.tick_params(labelsize=8)
        ax.grid(axis="x", color="0.9")
    axes[0].set_yticks(y, row_names(table))
    axes[0].set_ylim(-0.6, n - 0.4)
    handles, labels = axes[1].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=3, fontsize=7, frameon=False)
    return fig


def inline_rst(png: bytes, width: int = 560) -> str:
    """The figure as an image directive the report's front page can hold without a file."""
    # docutils reads at most 10,000 characters a line; an image URI may span lines (joined)
    data = "data:image/png;base64," + base64.b64encode(png).decode()
    lines = [f"   {data[i : i + 96]}" for i in range(0, len(data), 96)]
    return "\n".join(
        [
            ".. image::",
            *lines,
            f"   :width: {width}px",
            "   :alt: cost of the teacher's labels against gold, with 95% intervals",
            "",
        ]
    )


def png_bytes(fig, dpi: int = 110) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()
