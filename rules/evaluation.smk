# Evaluation: metrics across seeds per (dataset, source, size); teacher quality on the pool.


rule evaluate_source:
    input:
        test=TEST,
        predictions=source_jobs(PREDICTIONS),
        label_sets=source_jobs(LABEL_SETS),
    output:
        metrics=METRICS,
        per_item=ITEMS,
    log:
        "logs/evaluate/{dataset}/{source}.log",
    conda:
        "../envs/tables.yaml"
    params:
        runs=source_runs,
        n_classes=n_classes,
        collapse={k: config["evaluation"][f"collapse_{k}"] for k in ("margin", "recall")},
    script:
        "../workflow_scripts/evaluate_source.py"


rule teacher_quality:
    input:
        pool=POOL,
        annotations=teacher_annotations,
        meta=teacher_calibration_meta,
    output:
        TEACHER_QUALITY,
    log:
        "logs/evaluate/teacher_{dataset}_{teacher}.log",
    conda:
        "../envs/tables.yaml"
    params:
        n_classes=n_classes,
        bins=config["evaluation"]["calibration_bins"],
        calibrated=CALIBRATED,
        # Read by prior calibration alone: without it, changing the setting re-runs nothing.
        prior_em="prior" in CALIBRATED and config["calibration"]["prior_em"],
        labels=class_names,
    script:
        "../workflow_scripts/teacher_quality.py"
