"""The forest plot of the cost against gold: one row per risk-table row, the intervals as
drawn, the minimum detectable cost marked only where the table has it."""

import base64

import numpy as np
import pandas as pd
import pytest

from labelrisk.artefacts import forest

pytestmark = pytest.mark.unit


def table(**extra):
    return pd.DataFrame(
        {
            "dataset": ["movies", "movies"],
            "teacher": ["big", "small"],
            "accuracy_cost": [-0.047, -0.256],
            "accuracy_low": [-0.08, -0.30],
            "accuracy_high": [-0.01, 0.02],
            "macro_f1_cost": [-0.048, -0.34],
            "macro_f1_low": [-0.09, -0.40],
            "macro_f1_high": [0.01, -0.28],
            **extra,
        }
    )


def test_rows_points_and_intervals_in_points():
    fig = forest.forest(table())
    acc, f1 = fig.axes[:2]
    assert [t.get_text() for t in acc.get_yticklabels()] == ["movies, big", "movies, small"]
    # acc: both points; the first (interval below 0) filled, the second open
    filled, open_ = acc.collections[-2], acc.collections[-1]
    assert np.allclose(filled.get_offsets(), [[-4.7, 1]])
    assert np.allclose(open_.get_offsets(), [[-25.6, 0]])
    segments = [s for c in acc.collections for s in getattr(c, "get_segments", list)()]
    spans = sorted((round(s[0][0], 6), round(s[1][0], 6)) for s in segments if len(s) == 2)
    assert (-8.0, -1.0) in spans and (-30.0, 2.0) in spans
    # macro-F1: the second is measured, the first is not
    assert np.allclose(f1.collections[-2].get_offsets(), [[-34.0, 0]])
    labels = fig.legends[0].get_texts()
    assert "minimum detectable cost" not in [t.get_text() for t in labels]


def test_minimum_detectable_cost_marked_where_known():
    fig = forest.forest(table(detectable_cost=[0.05, 0.12]))
    marks = [c for c in fig.axes[0].collections if c.get_label() == "minimum detectable cost"]
    assert np.allclose(marks[0].get_offsets(), [[-5.0, 1], [-12.0, 0]])


def test_rows_per_source_name_the_method():
    fig = forest.forest(table(source=["big/llm", "big/entropy25"]))
    names = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert names == ["movies, big llm", "movies, small entropy25"]


def test_inline_image_is_the_png():
    png = forest.png_bytes(forest.forest(table()))
    assert png.startswith(b"\x89PNG")
    rst = forest.inline_rst(png)
    lines = rst.splitlines()
    assert lines[0] == ".. image::" and max(len(line) for line in lines) < 10_000
    uri = "".join(line.strip() for line in lines[1:] if not line.strip().startswith(":"))
    assert base64.b64decode(uri.removeprefix("data:image/png;base64,")) == png
    assert "   :width: 560px" in lines
