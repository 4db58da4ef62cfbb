# Parse-time code: config validation, grid bookkeeping, wildcard constraints, input functions.
# Kept cheap: every cluster job re-parses it.

import os
import re
import sys

from snakemake.utils import validate

sys.path.insert(0, os.path.join(workflow.basedir, "workflow_scripts"))

from labelrisk import grid as lr_grid  # noqa: E402
from labelrisk.config import validate as strict_validate  # noqa: E402

SCHEMA = workflow.source_path("../schemas/config.schema.yaml")
strict_validate(config, SCHEMA)  # short errors naming the key
validate(config, SCHEMA)  # fills in the defaults
lr_grid.check(config)

# Embedded assets are local folders; never wait on a network that is not there.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

GRID = config["grid"]
DATASETS = GRID["datasets"]
TEACHERS = GRID["teachers"]
STUDENT = GRID["student"]
SEEDS = GRID["seeds"]
SIZES = GRID["sizes"]
MEMBERS = list(range(config["annotation"]["members"]))
SOURCES = lr_grid.sources(config)
SOURCE_IDS = [s.id for s in SOURCES]


def _alternatives(values):
    return "|".join(re.escape(str(v)) for v in values)


wildcard_constraints:
    dataset=_alternatives(config["datasets"]),
    teacher=_alternatives(config["teachers"]),
    student=_alternatives(config["students"]),
    source=_alternatives(SOURCE_IDS),
    member=r"\d+",
    seed=r"\d+",
    size=r"\d+",


def annotation_inputs(wildcards):
    """Teacher annotations a label source needs: none for gold, member 0 or all members."""
    src = lr_grid.Source.parse(wildcards.source)
    if src.teacher is None:
        return []
    members = MEMBERS if src.members == "all" else [0]
    return expand(
        "results/annotations/{dataset}/{teacher}/member{member}.parquet",
        dataset=wildcards.dataset,
        teacher=src.teacher,
        member=members,
    )


def embedding_inputs(wildcards):
    """Frozen student embeddings of the pool, for the filters that read them."""
    if not lr_grid.Source.parse(wildcards.source).needs_embeddings:
        return []
    return f"results/embeddings/{wildcards.dataset}/{STUDENT}.parquet"


def metric_tables():
    return expand("results/metrics/{dataset}/{source}.parquet", dataset=DATASETS, source=SOURCE_IDS)


def item_tables():
    return expand(
        "results/metrics/{dataset}/{source}.items.parquet", dataset=DATASETS, source=SOURCE_IDS
    )


def teacher_tables():
    return expand(
        "results/teacher_quality/{dataset}/{teacher}.parquet",
        dataset=DATASETS,
        teacher=TEACHERS,
    )


def final_targets():
    return [
        "results/config.yaml",
        "results/tables/summary.csv",
        "results/tables/teacher_quality.csv",
        expand("results/tables/table{n}.{ext}", n=[1, 2], ext=["csv", "md", "tex"]),
        expand("results/figures/figure2.{ext}", ext=["png", "pdf"]),
        expand(
            "results/figures/{name}.png",
            name=["teacher_confusion", "teacher_reliability", "budget", "minority"],
        ),
        expand(
            "results/tables/{name}.{ext}",
            name=["teacher_diagnostics", "minority", "claims", "paper_vs_run"],
            ext=["csv", "md"],
        ),
    ]
