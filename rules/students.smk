# Students: fine-tuning on each label set. A job trains one run, every size of one seed, or
# every run of one label source (`training.runs_per_job`); its predictions are one table, a
# row's run in its size and seed columns.


rule train_student:
    input:
        student=f"resources/students/{STUDENT}",
        label_sets=LABEL_SETS,
        test=TEST,
        # A teacher's labels train nothing before its gate passes (rules/gate.smk).
        gate=gate_of,
    output:
        PREDICTIONS,
    log:
        f"logs/train/{{dataset}}/{{source}}/{JOB}.log",
    benchmark:
        f"benchmarks/train/{{dataset}}/{{source}}/{JOB}.tsv"
    conda:
        conda_env("students", COMPUTE["train"]["gpu"])
    container:
        lr_platforms.GPU_IMAGE if COMPUTE["train"]["gpu"] else None
    threads: COMPUTE["train"]["threads"]
    resources:
        gpu=COMPUTE["train"]["gpu"],
        mem_mb=per_attempt("train", "mem_mb"),
        runtime=per_attempt("train", "runtime"),
    params:
        runs=job_runs,
        n_classes=n_classes,
        # What changes a prediction; keep_models and the like are read from the config.
        training=lr_jobs.prediction_settings(config["training"]),
    script:
        "../workflow_scripts/train_student.py"
