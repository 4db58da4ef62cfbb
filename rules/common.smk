# Parse-time code: config validation, grid bookkeeping, wildcard constraints, input functions,
# and what the stage files share: imports, paths and the local rules. Kept cheap: every
# cluster job re-parses it. (The Snakefile puts workflow_scripts/ on sys.path.)

import os
import re

from snakemake.utils import validate

from labelrisk import grid as lr_grid  # noqa: E402
from labelrisk.annotation import inputs as lr_inputs  # noqa: E402
from labelrisk.annotation.job import annotation_settings  # noqa: E402
from labelrisk.labels.mitigations import Source  # noqa: E402
from labelrisk.students import jobs as lr_jobs  # noqa: E402
from labelrisk.config import validate as strict_validate  # noqa: E402
from labelrisk.teachers import backends as lr_backends  # noqa: E402

SCHEMA = workflow.source_path("../schemas/config.schema.yaml")
strict_validate(config, SCHEMA)  # short errors naming the key
validate(config, SCHEMA)  # fills in the defaults
lr_grid.check(config)

# Embedded assets are local folders; never wait on a network that is not there. A config with
# Hub (`hf`) sources needs the Hub, so there it is left to the environment.
if not lr_grid.uses_hub(config):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

GRID = config["grid"]
DATASETS = GRID["datasets"]
TEACHERS = GRID["teachers"]
STUDENT = GRID["student"]
SEEDS = GRID["seeds"]
MEMBERS = list(range(config["annotation"]["members"]))
SOURCES = lr_grid.sources(config)
SOURCE_IDS = [s.id for s in SOURCES]
COMPUTE = config["compute"]
CALIBRATED = config["mitigations"]["calibrated"]
LABELS = {d: config["datasets"][d]["labels"] for d in DATASETS}


# Paths read by several rules, named once.
SPLIT = "results/data/{dataset}/{part}.parquet"
POOL, VAL, TEST = (SPLIT.replace("{part}", p) for p in ("pool", "val", "test"))
SUMMARY = "results/tables/summary.csv"
TEACHER_SUMMARY = "results/tables/teacher_quality.csv"
# What one training job covers (`training.runs_per_job`, labelrisk.students.jobs) names its
# label sets and its predictions: one table each, a row's run in its size and seed columns.
TRAIN_BY = config["training"]["runs_per_job"]
JOB = lr_jobs.job_key(TRAIN_BY)
LABEL_SETS = f"results/label_sets/{{dataset}}/{{source}}/{JOB}.parquet"
PREDICTIONS = f"results/runs/{{dataset}}/{{source}}/{JOB}.parquet"
METRICS = "results/metrics/{dataset}/{source}.parquet"
ITEMS = "results/metrics/{dataset}/{source}.items.parquet"
TEACHER_QUALITY = "results/teacher_quality/{dataset}/{teacher}.parquet"
GATE = "results/gate/{dataset}/{teacher}.json"
EMBEDDINGS = "results/embeddings/{dataset}/{student}.parquet"
# Every server teacher's answers, shared by datasets, pools, members and re-runs; kept.
ANSWER_CACHE = "resources/teacher_answers.sqlite"
CONTENT_FREE = "results/content_free/{dataset}/{teacher}/member{member}.json"


# Run by Snakemake itself, never submitted to a cluster: the downloads (where the internet is)
# and the seconds-long tables, figures, plan and report page. (The server teachers' rules too,
# by their backend's `localrule:`.)
localrules:
    fetch_teacher,
    fetch_student,
    fetch_dataset,
    all,
    summarise,
    teacher_summary,
    table1,
    table2,
    figure2,
    dump_config,
    teacher_diagnostics,
    budget_figure,
    minority,
    paper_vs_run,
    plan,
    teachers,
    risk,
    risk_figure,
    teacher_gate,
    gate_summary,
    product,
    predict,


def dataset_reading(wildcards):
    """What reading a dataset depends on: not its prompt or task (editing those re-annotates
    without re-splitting the data or re-training the gold students)."""
    ds = config["datasets"][wildcards.dataset]
    return {k: ds[k] for k in ("labels", "origin", "drop_duplicate_texts", "class_keep")}


def n_classes(wildcards):
    return len(config["datasets"][wildcards.dataset]["labels"])


def sizes_of(dataset):
    return lr_grid.sizes_for(config, dataset)


def class_names(wildcards):
    """The dataset's class names, in class order."""
    return LABELS[wildcards.dataset]


def per_attempt(step, key, at_least=0):
    """A resource of `compute.<step>` (or `at_least`) that grows with the attempt (retries).
    A GPU job's memory does not: it fails on GPU memory (named in its log), which more host
    memory does not fix; its retry runs as the first attempt."""
    base = max(COMPUTE[step][key], at_least)
    if key == "mem_mb" and COMPUTE[step].get("gpu"):
        return lambda wildcards, attempt: base
    return lambda wildcards, attempt: base * attempt


def _alternatives(values):
    return "|".join(re.escape(str(v)) for v in values)


def backend_teachers(backend):
    """Wildcard pattern of the teachers of one backend (matches nothing when there are none)."""
    names = [t for t, c in config["teachers"].items() if lr_backends.of(c).name == backend]
    return _alternatives(names) if names else "(?!)"


# What a backend's annotate and content_free rules ask for (labelrisk.teachers.backends).
def backend_gpus(backend):
    return COMPUTE["annotate"]["gpu"] if lr_backends.get(backend).gpu else 0


def backend_env(backend):
    return conda_env(lr_backends.get(backend).env, backend_gpus(backend))


def backend_threads(backend):
    return lr_backends.get(backend).threads or COMPUTE["annotate"]["threads"]


def backend_local(backend):
    return lr_backends.get(backend).local_rule


def backend_resources(backend):
    b = lr_backends.get(backend)
    if b.threads:  # a light job: fixed memory, no GPU
        return {"mem_mb": b.mem_mb}
    return {
        "gpu": backend_gpus(backend),
        "mem_mb": per_attempt("annotate", "mem_mb", at_least=b.mem_mb or 0),
        "runtime": per_attempt("annotate", "runtime"),
    }


def missing_keys():
    """Where the server teachers the run would ask name an unset API-key variable (onstart)."""
    return lr_backends.missing_keys(
        config,
        [
            job.wildcards.teacher
            for job in workflow.dag.needrun_jobs()
            if getattr(lr_backends.by_rule(job.rule.name), "key_option", None)
        ],
    )


wildcard_constraints:
    dataset=_alternatives(config["datasets"]),
    teacher=_alternatives(config["teachers"]),
    student=_alternatives(config["students"]),
    source=_alternatives(SOURCE_IDS),
    member=r"\d+",
    seed=r"\d+",
    size=r"\d+",


def local_dataset(wildcards):
    """A `local` dataset's file: an input, so editing it re-runs the split and all after it."""
    return lr_grid.local_inputs(config["datasets"][wildcards.dataset]["origin"])


def local_model(kind):
    """The files of a `local` teacher's or student's folder, as inputs of its resource rule."""
    return lambda wildcards: lr_grid.local_inputs(config[kind][wildcards[kind[:-1]]]["origin"])


def annotations(wildcards, teacher, members):
    return expand(
        rules.annotate.output.labels,
        dataset=wildcards.dataset,
        teacher=teacher,
        member=members,
    )


def annotation_inputs(wildcards):
    """Teacher annotations a label source needs: none (gold), member 0 or all members."""
    src = Source.parse(wildcards.source)
    if src.members == "none":
        return []
    return annotations(wildcards, src.teacher, MEMBERS if src.members == "all" else [0])


def gate_of(wildcards):
    """The teacher gate (rules/gate.smk) of the teacher whose labels a source trains on; none
    for gold."""
    src = Source.parse(wildcards.source)
    if src.members == "none":
        return []
    return GATE.format(dataset=wildcards.dataset, teacher=src.teacher)


def calibration_meta(wildcards):
    """Member 0's content-free scores (rule content_free) for a source that reads them."""
    src = Source.parse(wildcards.source)
    if not src.reads_meta:
        return []
    return CONTENT_FREE.format(dataset=wildcards.dataset, teacher=src.teacher, member=0)


def teacher_calibration_meta(wildcards):
    """Member 0's content-free scores for the teacher diagnostics after calibration."""
    if "content_free" not in CALIBRATED:
        return []
    return CONTENT_FREE.format(dataset=wildcards.dataset, teacher=wildcards.teacher, member=0)


def teacher_annotations(wildcards):
    """The members of a teacher the grid annotates (all only where a source reads them all)."""
    teacher = wildcards.teacher
    return annotations(wildcards, teacher, lr_grid.members_of(config, teacher))


def source_settings(wildcards):
    """The config values the source's family reads (labelrisk.grid.settings), nothing more."""
    return lr_grid.settings(config, wildcards.source)


def job_runs(wildcards):
    """(size, seed) of each run of a label-set or training job, in the order of its rows."""
    return lr_jobs.runs_of(
        TRAIN_BY,
        sizes_of(wildcards.dataset),
        SEEDS,
        getattr(wildcards, "size", None),
        getattr(wildcards, "seed", None),
    )


def source_runs(wildcards):
    """(size, seed) of every run of one (dataset, source), in the order `source_jobs` holds them."""
    return lr_jobs.runs_of("source", sizes_of(wildcards.dataset), SEEDS)


def source_jobs(pattern):
    """The job tables (label sets or predictions) of one (dataset, source): every seed and
    every size of the dataset."""

    def files(wildcards):
        return [
            pattern.format(dataset=wildcards.dataset, source=wildcards.source, **job)
            for job in lr_jobs.jobs_of(TRAIN_BY, sizes_of(wildcards.dataset), SEEDS)
        ]

    return files


def embedding_inputs(wildcards):
    """Frozen student embeddings of the pool, for the filters that read them."""
    if not Source.parse(wildcards.source).needs_embeddings:
        return []
    return EMBEDDINGS.format(dataset=wildcards.dataset, student=STUDENT)


def metric_tables():
    return expand(METRICS, dataset=DATASETS, source=SOURCE_IDS)


def item_tables():
    return expand(ITEMS, dataset=DATASETS, source=SOURCE_IDS)


def teacher_tables():
    return expand(TEACHER_QUALITY, dataset=DATASETS, teacher=TEACHERS)


def study_tables():
    """Every per-job table of the study. Snakemake re-makes a missing intermediate file only
    when a target names it: as targets, a deleted or killed table is made again, and what reads
    it re-runs, instead of "Nothing to be done" beside a summary of a file that is gone."""
    jobs = [
        pattern.format(dataset=d, source=s, **job)
        for d in DATASETS
        for s in SOURCE_IDS
        for job in lr_jobs.jobs_of(TRAIN_BY, sizes_of(d), SEEDS)
        for pattern in (LABEL_SETS, PREDICTIONS)
    ]
    return jobs + metric_tables() + item_tables() + teacher_tables()


def final_targets():
    return [
        *study_tables(),
        "results/config.yaml",
        SUMMARY,
        TEACHER_SUMMARY,
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
