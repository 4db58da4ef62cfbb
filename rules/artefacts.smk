# Artefacts: one small summary table; every table and figure reads only it, so editing one
# figure's script re-runs that figure alone.


rule summarise:
    input:
        metrics=metric_tables(),
        teachers=teacher_tables(),
    output:
        summary=report(
            SUMMARY,
            caption="../report/summary.rst",
            category="Tables",
            labels={"table": "all metrics"},
        ),
        teachers=report(
            "results/tables/teacher_quality.csv",
            caption="../report/teacher_quality.rst",
            category="Teachers",
            labels={"table": "teacher quality"},
        ),
    log:
        "logs/artefacts/summarise.log",
    conda:
        "../envs/analysis.yaml"
    params:
        labels={d: config["datasets"][d]["labels"] for d in DATASETS},
    script:
        "../workflow_scripts/summarise.py"


rule table1:
    input:
        SUMMARY,
    output:
        csv=report(
            "results/tables/table1.csv",
            caption="../report/table1.rst",
            category="Tables",
            labels={"table": "Table 1"},
        ),
        md="results/tables/table1.md",
        tex="results/tables/table1.tex",
    log:
        "logs/artefacts/table1.log",
    conda:
        "../envs/analysis.yaml"
    params:
        datasets=DATASETS,
        teachers=TEACHERS,
        mitigation_teachers=config["mitigations"]["teachers"] or TEACHERS,
    script:
        "../workflow_scripts/table1.py"


rule table2:
    input:
        SUMMARY,
    output:
        csv=report(
            "results/tables/table2.csv",
            caption="../report/table2.rst",
            category="Tables",
            labels={"table": "Table 2"},
        ),
        md="results/tables/table2.md",
        tex="results/tables/table2.tex",
    log:
        "logs/artefacts/table2.log",
    conda:
        "../envs/analysis.yaml"
    params:
        datasets=DATASETS,
        teachers=TEACHERS,
        mitigation_teachers=config["mitigations"]["teachers"] or TEACHERS,
    script:
        "../workflow_scripts/table2.py"


rule figure2:
    input:
        SUMMARY,
    output:
        png=report(
            "results/figures/figure2.png",
            caption="../report/figure2.rst",
            category="Figures",
            labels={"figure": "Figure 2"},
        ),
        pdf="results/figures/figure2.pdf",
    log:
        "logs/artefacts/figure2.log",
    conda:
        "../envs/analysis.yaml"
    params:
        datasets=DATASETS,
    script:
        "../workflow_scripts/figure2.py"


rule dump_config:
    output:
        report(
            "results/config.yaml",
            caption="../report/config.rst",
            category="Provenance",
        ),
    log:
        "logs/artefacts/config.log",
    conda:
        "../envs/analysis.yaml"
    params:
        config=config,
    script:
        "../workflow_scripts/dump_config.py"
