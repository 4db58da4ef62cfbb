# A student to keep: `snakemake export` saves the run chosen under `export` as a Hugging Face
# model folder. It re-trains that one run in its own job from the study's label set (the study's
# training jobs keep no weights, so switching export on re-runs none of them) and checks that it
# predicts the test set as the study's run did.

EXPORT = config["export"]
EXPORT_DIR = "results/models/{dataset}/{source}/n{size}_seed{seed}"


def export_folders(wildcards):
    src = EXPORT["source"]
    if src is None:
        raise ValueError("export.source: name the label source to export (e.g. `gold`)")
    if src not in SOURCE_IDS:
        raise ValueError(f"export.source: {src!r} is not a label source of this grid: {SOURCE_IDS}")
    seed = EXPORT["seed"] if EXPORT["seed"] is not None else SEEDS[0]
    if seed not in SEEDS:
        raise ValueError(f"export.seed: {seed} is not in grid.seeds {SEEDS}")
    out = []
    for d in DATASETS:
        size = EXPORT["size"] or max(sizes_of(d))
        if size not in sizes_of(d):
            raise ValueError(f"export.size: {size} is not a size of {d!r}: {sizes_of(d)}")
        out.append(EXPORT_DIR.format(dataset=d, source=src, size=size, seed=seed))
    return out


def run_job(pattern):
    """The study's job table (label sets or predictions) that holds the run."""
    return lambda wc: pattern.format(**wc)


rule export:
    input:
        export_folders,


rule export_student:
    input:
        student=f"resources/students/{STUDENT}",
        label_sets=run_job(LABEL_SETS),
        predictions=run_job(PREDICTIONS),
        test=TEST,
        metrics=METRICS,
    output:
        directory(EXPORT_DIR),
    log:
        "logs/export/{dataset}/{source}/n{size}_seed{seed}.log",
    benchmark:
        "benchmarks/export/{dataset}/{source}/n{size}_seed{seed}.tsv"
    conda:
        conda_env("students", COMPUTE["train"]["gpu"])
    threads: COMPUTE["train"]["threads"]
    resources:
        gpu=COMPUTE["train"]["gpu"],
        mem_mb=per_attempt("train", "mem_mb"),
        runtime=per_attempt("train", "runtime"),
    params:
        n_classes=n_classes,
        labels=labels_of,
        # The study's recipe, as train_student reads it.
        training=lr_jobs.prediction_settings(config["training"]),
        base=lambda wc: config["students"][STUDENT]["origin"],
        teacher=lambda wc: Source.parse(wc.source).teacher,
    script:
        "../workflow_scripts/export_student.py"
