# The teacher gate: each teacher against the constant majority answer and its mass off the
# label words, before any student trains on its labels (labelrisk.evaluation.gate).


rule teacher_gate:
    input:
        pool=POOL,
        member0="results/annotations/{dataset}/{teacher}/member0.parquet",
        meta="results/annotations/{dataset}/{teacher}/member0.json",
    output:
        GATE,
    log:
        "logs/gate/{dataset}/{teacher}.log",
    conda:
        "../envs/tables.yaml"
    params:
        n_classes=n_classes,
        max_off_label_mass=config["evaluation"]["max_off_label_mass"],
        accept_weak=lambda w: config["teachers"][w.teacher].get("accept_weak", False),
    script:
        "../workflow_scripts/teacher_gate.py"


rule gate_summary:
    input:
        expand(GATE, dataset=DATASETS, teacher=TEACHERS),
    output:
        csv=report(
            "results/tables/teacher_gate.csv",
            caption="../report/teacher_gate.rst",
            category="Teachers",
            labels={"table": "teacher gate"},
        ),
        rst="results/report/teacher_gate.rst",
        accepted="results/report/teacher_gate_accepted.rst",
    log:
        "logs/artefacts/gate_summary.log",
    conda:
        "../envs/tables.yaml"
    script:
        "../workflow_scripts/gate_summary.py"
