"""Figure 2: macro-F1 against training-set size, mean and a +-1 std band over seeds."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from labelrisk.artefacts.tables import display_name


def figure2(summary: pd.DataFrame, datasets: Sequence[str]):
    n = len(datasets)
    cols = min(n, 2)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(7 * cols, 3.2 * rows), squeeze=False)
    sources = list(dict.fromkeys(summary.source))
    colors = {s: f"C{i}" for i, s in enumerate(sources)}
    # Marker, dash and width differ too (later sources thinner), so a source whose curve equals
    # another's (e.g. calibration that moved no label) stays visible on top of it.
    styles = {
        s: ("osD^vP"[i % 6], ["-", "--", ":", "-."][i % 4], max(2.4 - 0.3 * i, 1.0))
        for i, s in enumerate(sources)
    }
    for ax, ds in zip(axes.flat, datasets, strict=False):
        sub = summary[summary.dataset == ds]
        for src in sources:
            line = sub[sub.source == src].sort_values("size")
            if line.empty:
                continue
            marker, dash, width = styles[src]
            ax.plot(
                line["size"],
                line.f1_mean,
                marker=marker,
                markersize=2 + 2 * width,
                linestyle=dash,
                linewidth=width,
                color=colors[src],
                label=display_name(src),
            )
            ax.fill_between(
                line["size"],
                line.f1_mean - line.f1_std,
                line.f1_mean + line.f1_std,
                color=colors[src],
                alpha=0.15,
            )
        ax.set_title(ds)
        ax.set_xlabel("# data points used for fine-tuning")
        ax.set_ylabel("macro-F1")
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 3), frameon=True)
    fig.suptitle("Mean test macro-F1 over seeds (band: ±1 std)")
    rows = -(-len(labels) // 3)  # legend rows under the panels, kept clear of the axis labels
    fig.tight_layout(rect=(0, 0.04 + 0.07 * rows, 1, 1))
    return fig
