"""Which label source the product is trained with: the risk summary's recommendation for the
dataset and teacher (`best_gold_free`, `best_per_gold`) or a source named in `product.source`."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from labelrisk.labels.mitigations import LLM, Source

RECOMMENDED = ("best_gold_free", "best_per_gold")


class ProductError(ValueError):
    pass


def teacher_of(product: dict, teachers: Sequence[str]) -> str:
    """`product.teacher`, or the grid's first teacher."""
    teacher = product["teacher"] or (teachers[0] if teachers else None)
    if teacher not in teachers:
        raise ProductError(f"product.teacher: {teacher!r} is not in grid.teachers {list(teachers)}")
    return teacher


def check_source(source: str, sources: Sequence[str], key: str = "product.source") -> str:
    """A source the product can be trained with: in the grid, labelled by a teacher, and
    reading nothing but the teacher's answers (the embedding-based filters see the pool only)."""
    if source not in sources:
        raise ProductError(f"{key}: {source!r} is not a label source of this grid: {list(sources)}")
    src = Source.parse(source)
    if src.is_gold:
        raise ProductError(f"{key}: `gold` has no teacher labels; the product is trained on them")
    if src.needs_embeddings:
        raise ProductError(
            f"{key}: {source!r} reads student embeddings of the pool only, not of the unlabelled "
            "rows; choose another source"
        )
    return source


def choose(product: dict, dataset: str, teacher: str, risk: pd.DataFrame | None) -> dict:
    """{source, reason}: the configured source, or the risk summary's recommendation for this
    (dataset, teacher); the teacher's own labels when it recommends none."""
    choice = product["source"]
    if choice not in RECOMMENDED:
        return {"source": choice, "reason": f"named in product.source ({choice})"}
    row = risk[(risk.dataset == dataset) & (risk.teacher == teacher)]
    if len(row) != 1:
        raise ProductError(f"risk summary: no row for dataset {dataset!r} and teacher {teacher!r}")
    best = row.iloc[0][choice]
    what = choice.replace("_", " ").replace("per gold", "per gold label")
    if isinstance(best, str) and best:
        return {"source": best, "reason": f"the risk summary's {what} for {dataset}, {teacher}"}
    return {
        "source": f"{teacher}/{LLM}",
        "reason": f"the risk summary names no {what} for {dataset}, {teacher}: "
        "the teacher's own labels",
    }
