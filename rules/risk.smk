# The report's first page: per dataset and teacher, what training on the teacher's labels costs
# against gold, the best mitigation per gold label and each claim's verdict in a sentence.

RISK_SOURCES = ["gold"] + [f"{t}/llm" for t in TEACHERS]


rule risk:
    input:
        summary=SUMMARY,
        claims="results/tables/claims.csv",
        per_item=expand(ITEMS, dataset=DATASETS, source=RISK_SOURCES),
    output:
        csv=report(
            "results/tables/risk.csv",
            caption="../report/risk.rst",
            category="Risk summary",
            labels={"table": "risk summary"},
        ),
        md="results/tables/risk.md",
        rst="results/report/risk.rst",
    log:
        "logs/artefacts/risk.log",
    conda:
        "../envs/tables.yaml"
    params:
        pairs=[(d, s) for d in DATASETS for s in RISK_SOURCES],
        labels=LABELS,
        teachers=TEACHERS,
        collapse={k: config["evaluation"][f"collapse_{k}"] for k in ("margin", "recall")},
        level=config["claims"]["level"],
    script:
        "../workflow_scripts/risk.py"


rule risk_figure:
    input:
        rules.risk.output.csv,
    output:
        png=report(
            "results/figures/risk.png",
            caption="../report/risk_figure.rst",
            category="Risk summary",
            labels={"figure": "cost against gold"},
        ),
        rst="results/report/risk_figure.rst",
    log:
        "logs/artefacts/risk_figure.log",
    conda:
        "../envs/tables.yaml"
    script:
        "../workflow_scripts/risk_figure.py"
