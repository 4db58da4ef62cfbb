# Artefacts: one small summary table; the paper's tables and figure, teacher diagnostics, the
# budget-matched comparison of label sources, minority classes, the claims check and the paper's
# own numbers beside the run's. Each reads small aggregated tables (the claims also read
# per-item predictions), so editing one figure's script re-runs that figure alone.


rule summarise:
    input:
        metrics=metric_tables(),
    output:
        summary=report(
            SUMMARY,
            caption="../report/summary.rst",
            category="Tables",
            labels={"table": "all metrics"},
        ),
    log:
        "logs/artefacts/summarise.log",
    conda:
        "../envs/tables.yaml"
    # The grid the tables must cover exactly (labelrisk.artefacts.coverage).
    params:
        datasets=DATASETS,
        sources=SOURCE_IDS,
        sizes={d: sizes_of(d) for d in DATASETS},
        seeds=SEEDS,
    script:
        "../workflow_scripts/summarise.py"


# Apart from the students' summary, so that a new label source re-runs no teacher diagnostic.
rule teacher_summary:
    input:
        teacher_tables(),
    output:
        report(
            TEACHER_SUMMARY,
            caption="../report/teacher_quality.rst",
            category="Teachers",
            labels={"table": "teacher quality"},
        ),
    log:
        "logs/artefacts/teacher_summary.log",
    conda:
        "../envs/tables.yaml"
    # The teachers and members the tables must cover exactly (labelrisk.artefacts.coverage).
    params:
        datasets=DATASETS,
        members={t: lr_grid.members_of(config, t) for t in TEACHERS},
    script:
        "../workflow_scripts/teacher_summary.py"


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
        "../envs/tables.yaml"
    params:
        datasets=DATASETS,
        teachers=TEACHERS,
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
        "../envs/tables.yaml"
    params:
        datasets=DATASETS,
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
        "../envs/tables.yaml"
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
        "../envs/tables.yaml"
    params:
        config=config,
    script:
        "../workflow_scripts/dump_config.py"


rule teacher_diagnostics:
    input:
        TEACHER_SUMMARY,
    output:
        confusion=report(
            "results/figures/teacher_confusion.png",
            caption="../report/teacher_confusion.rst",
            category="Teachers",
            labels={"figure": "confusion matrices"},
        ),
        reliability=report(
            "results/figures/teacher_reliability.png",
            caption="../report/teacher_reliability.rst",
            category="Teachers",
            labels={"figure": "reliability diagrams"},
        ),
        csv=report(
            "results/tables/teacher_diagnostics.csv",
            caption="../report/teacher_diagnostics.rst",
            category="Teachers",
            labels={"table": "teacher diagnostics"},
        ),
        md="results/tables/teacher_diagnostics.md",
    log:
        "logs/artefacts/teacher_diagnostics.log",
    conda:
        "../envs/tables.yaml"
    params:
        labels=LABELS,
    script:
        "../workflow_scripts/teacher_diagnostics.py"


rule budget_figure:
    input:
        SUMMARY,
    output:
        png=report(
            "results/figures/budget.png",
            caption="../report/budget.rst",
            category="Figures",
            labels={"figure": "gap recovered vs gold spent"},
        ),
        csv="results/tables/gap_recovered.csv",
    log:
        "logs/artefacts/budget_figure.log",
    conda:
        "../envs/tables.yaml"
    params:
        datasets=DATASETS,
    script:
        "../workflow_scripts/budget_figure.py"


rule minority:
    input:
        summary=SUMMARY,
        teachers=TEACHER_SUMMARY,
    output:
        png=report(
            "results/figures/minority.png",
            caption="../report/minority.rst",
            category="Figures",
            labels={"figure": "per-class F1"},
        ),
        csv=report(
            "results/tables/minority.csv",
            caption="../report/minority_table.rst",
            category="Tables",
            labels={"table": "per-class F1 drop"},
        ),
        md="results/tables/minority.md",
    log:
        "logs/artefacts/minority.log",
    conda:
        "../envs/tables.yaml"
    params:
        labels=LABELS,
    script:
        "../workflow_scripts/minority.py"


rule claims:
    input:
        summary=SUMMARY,
        teachers=TEACHER_SUMMARY,
        per_item=item_tables(),
    output:
        csv=report(
            "results/tables/claims.csv",
            caption="../report/claims.rst",
            category="Claims",
            labels={"table": "claims check"},
        ),
        md="results/tables/claims.md",
    log:
        "logs/artefacts/claims.log",
    benchmark:
        "benchmarks/artefacts/claims.tsv"
    conda:
        "../envs/tables.yaml"
    params:
        labels=LABELS,
        claims=config["claims"],
        collapse={k: config["evaluation"][f"collapse_{k}"] for k in ("margin", "recall")},
        # Each teacher's declared size orders the teachers for C6.
        parameters={t: config["teachers"][t].get("parameters") for t in TEACHERS},
    script:
        "../workflow_scripts/claims.py"


rule paper_vs_run:
    input:
        summary=SUMMARY,
        reference=workflow.source_path(
            "../workflow_scripts/labelrisk/artefacts/reference/paper_tables.csv"
        ),
    output:
        csv=report(
            "results/tables/paper_vs_run.csv",
            caption="../report/paper_vs_run.rst",
            category="Claims",
            labels={"table": "paper vs this run"},
        ),
        md="results/tables/paper_vs_run.md",
    log:
        "logs/artefacts/paper_vs_run.log",
    conda:
        "../envs/tables.yaml"
    script:
        "../workflow_scripts/paper_vs_run.py"
