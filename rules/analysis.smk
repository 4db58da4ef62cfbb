# Beyond the paper's tables: teacher diagnostics, the budget-matched comparison of label
# sources, minority classes, the check of the paper's claims and the paper's own numbers beside
# the run's. Each reads small aggregated tables (the claims also read per-item predictions).


rule teacher_diagnostics:
    input:
        "results/tables/teacher_quality.csv",
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
        "logs/analysis/teacher_diagnostics.log",
    conda:
        "../envs/analysis.yaml"
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
        "logs/analysis/budget_figure.log",
    conda:
        "../envs/analysis.yaml"
    params:
        datasets=DATASETS,
    script:
        "../workflow_scripts/budget_figure.py"


rule minority:
    input:
        summary=SUMMARY,
        teachers="results/tables/teacher_quality.csv",
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
        "logs/analysis/minority.log",
    conda:
        "../envs/analysis.yaml"
    params:
        labels=LABELS,
    script:
        "../workflow_scripts/minority.py"


rule claims:
    input:
        summary=SUMMARY,
        teachers="results/tables/teacher_quality.csv",
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
        "logs/analysis/claims.log",
    benchmark:
        "benchmarks/analysis/claims.tsv"
    conda:
        "../envs/analysis.yaml"
    params:
        labels=LABELS,
        bootstrap=config["analysis"]["bootstrap"],
        seed=config["analysis"]["seed"],
        seeds=SEEDS,
        # The teachers that stand for the paper's larger model (C6).
        larger=config["mitigations"]["teachers"],
    script:
        "../workflow_scripts/claims.py"


rule paper_vs_run:
    input:
        summary=SUMMARY,
        reference=workflow.source_path(
            "../workflow_scripts/labelrisk/analysis/reference/paper_tables.csv"
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
        "logs/analysis/paper_vs_run.log",
    conda:
        "../envs/analysis.yaml"
    script:
        "../workflow_scripts/paper_vs_run.py"
