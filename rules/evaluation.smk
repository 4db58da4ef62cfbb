# Evaluation: metrics across seeds per (dataset, source, size); teacher quality on the pool.


rule evaluate_source:
    input:
        test=TEST,
        predictions=lambda wc: run_files(RUN, wc, source_runs(wc)),
        label_sets=lambda wc: run_files(LABEL_SET, wc, source_runs(wc)),
    output:
        metrics="results/metrics/{dataset}/{source}.parquet",
        per_item="results/metrics/{dataset}/{source}.items.parquet",
    log:
        "logs/evaluate/{dataset}/{source}.log",
    conda:
        "../envs/tables.yaml"
    params:
        runs=source_runs,
        n_classes=n_classes,
        collapse_share=config["evaluation"]["collapse_share"],
    script:
        "../workflow_scripts/evaluate_source.py"


rule teacher_quality:
    input:
        pool=POOL,
        annotations=teacher_annotations,
        meta=teacher_calibration_meta,
    output:
        "results/teacher_quality/{dataset}/{teacher}.parquet",
    log:
        "logs/evaluate/teacher_{dataset}_{teacher}.log",
    conda:
        "../envs/tables.yaml"
    params:
        n_classes=n_classes,
        bins=config["evaluation"]["calibration_bins"],
        calibrated=CALIBRATED,
        prior_em=config["calibration"]["prior_em"],
        labels=lambda wc: LABELS[wc.dataset],
    script:
        "../workflow_scripts/teacher_quality.py"
