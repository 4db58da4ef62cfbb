# A student to keep: `snakemake export` saves the run chosen under `export` as a Hugging Face
# model folder. It re-trains that one run in its own job from the study's label set (the study's
# training jobs keep no weights, so switching export on re-runs none of them) and checks that it
# predicts the test set as the study's run did.

from labelrisk.students import export as lr_export  # noqa: E402

EXPORT_DIR = "results/models/{dataset}/{source}/n{size}_seed{seed}"


rule export:
    input:
        lambda wc: lr_export.folders(
            EXPORT_DIR,
            config["export"],
            SOURCE_IDS,
            SEEDS,
            {d: sizes_of(d) for d in DATASETS},
        ),


rule export_student:
    input:
        student=f"resources/students/{STUDENT}",
        # The study's job tables that hold the run.
        label_sets=lambda wc: LABEL_SETS.format(**wc),
        predictions=lambda wc: PREDICTIONS.format(**wc),
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
        labels=class_names,
        # The study's recipe, as train_student reads it.
        training=lr_jobs.prediction_settings(config["training"]),
        base=lambda wc: config["students"][STUDENT]["origin"],
        teacher=lambda wc: Source.parse(wc.source).teacher,
    script:
        "../workflow_scripts/export_student.py"
