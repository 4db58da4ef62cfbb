# A first look before any training: the cost estimate (`plan`) and the teachers' diagnostics
# against gold from the annotations alone (`teachers`); neither waits on a student.


rule plan:
    input:
        pool=expand(POOL, dataset=DATASETS),
        val=expand(VAL, dataset=DATASETS),
        # The product's unlabelled tables (rules/product.smk), when datasets name one.
        unlabelled=lambda wc: expand(UNLABELLED, dataset=lr_product.plan_datasets(config)),
    output:
        md=report("results/plan.md", caption="../report/plan.rst", category="Plan"),
        teachers="results/plan/teachers.csv",
        training="results/plan/training.csv",
    log:
        "logs/artefacts/plan.log",
    conda:
        "../envs/tables.yaml"
    params:
        datasets=DATASETS,
        product_datasets=lambda wc: lr_product.plan_datasets(config),
        answer_cache=ANSWER_CACHE,
        config={
            k: config[k]
            for k in (
                "grid",
                "plan",
                "annotation",
                "training",
                "splits",
                "compute",
                "mitigations",
                "calibration",
                "datasets",
                "teachers",
                "claims",
                "product",
            )
        },
    script:
        "../workflow_scripts/plan.py"


rule teachers:
    input:
        rules.plan.output.md,
        TEACHER_SUMMARY,
        rules.teacher_diagnostics.output,
        rules.gate_summary.output,
