"""What the product's rules read of the config and of the chosen source (parse-time helpers kept
out of rules/product.smk). Every backend has a product annotation rule (its descriptor's
`product_annotate<suffix>`, labelrisk.teachers.backends)."""

from __future__ import annotations

import json

from labelrisk.labels.mitigations import Source
from labelrisk.product.choice import RECOMMENDED, ProductError, check_source, teacher_of


def datasets(config: dict) -> list[str]:
    """The grid's datasets with an unlabelled table; the target stops when there is none."""
    out = plan_datasets(config)
    if not out:
        raise ProductError(
            "product: no dataset of grid.datasets has an unlabelled table; add "
            "datasets.<id>.unlabelled (docs/own-data.md, 'From verdict to product')"
        )
    return out


def plan_datasets(config: dict) -> list[str]:
    """The datasets whose unlabelled table the plan counts (none: the plan is the study's)."""
    return [d for d in config["grid"]["datasets"] if config["datasets"][d].get("unlabelled")]


def teacher(config: dict) -> str:
    """The product's teacher: `product.teacher`, or the grid's only teacher."""
    return teacher_of(config["product"], config["grid"]["teachers"])


def check(config: dict, sources: list[str]) -> None:
    """A named product.source must be one the product can train on (before any job)."""
    if config["product"]["source"] not in RECOMMENDED:
        check_source(config["product"]["source"], sources)


def members(source: str, all_members: list[int]) -> list[int]:
    """The annotation members a source reads."""
    kind = Source.parse(source).members
    return [] if kind == "none" else all_members if kind == "all" else [0]


def seed(config: dict) -> int:
    """`product.seed`, or the grid's first seed."""
    value = config["product"]["seed"]
    return config["grid"]["seeds"][0] if value is None else value


def predict_input(config: dict) -> str:
    """The table `snakemake predict` labels: `product.predict.input`."""
    path = config["product"]["predict"]["input"]
    if not path:
        raise ProductError("product.predict.input: name the table of texts to label")
    return path


def inputs(choice: str, dataset: str, all_members: list[int], paths: dict[str, str]) -> dict:
    """The product job's inputs once `choice` (the checkpoint's file) names the source: the
    source's answers on the study's items and on the unlabelled rows, member 0's content-free
    scores where the source reads them, and the study's metrics of the source and of gold."""
    with open(choice) as f:
        source = json.load(f)["source"]
    src = Source.parse(source)
    chosen = members(source, all_members)
    at = {"dataset": dataset, "teacher": src.teacher}
    return {
        "study_answers": [paths["study_answers"].format(**at, member=m) for m in chosen],
        "product_answers": [paths["product_answers"].format(**at, member=m) for m in chosen],
        "meta": paths["meta"].format(**at, member=0) if src.reads_meta else [],
        "metrics": paths["metrics"].format(dataset=dataset, source=source),
        "source_items": paths["items"].format(dataset=dataset, source=source),
        "gold_items": paths["items"].format(dataset=dataset, source="gold"),
    }
