# A first look before any training: the cost estimate (`plan`) and the teachers' diagnostics
# against gold from the annotations alone (`teachers`); neither waits on a student.


localrules:
    plan,
    teachers,


rule plan:
    input:
        pool=expand(POOL, dataset=DATASETS),
        val=expand(VAL, dataset=DATASETS),
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
