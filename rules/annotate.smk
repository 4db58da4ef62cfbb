# Annotation: each (dataset, teacher, member) labels the pool and validation set once; every
# seed, size and mitigation reads the same file. Resumable through a journal kept outside
# the outputs (results/.journal), which a crash does not delete.


rule annotate:
    input:
        teacher="resources/teachers/{teacher}",
        pool="results/data/{dataset}/pool.parquet",
        val="results/data/{dataset}/val.parquet",
    output:
        labels="results/annotations/{dataset}/{teacher}/member{member}.parquet",
        meta="results/annotations/{dataset}/{teacher}/member{member}.json",
    log:
        "logs/annotate/{dataset}/{teacher}/member{member}.log",
    benchmark:
        "benchmarks/annotate/{dataset}/{teacher}/member{member}.tsv"
    conda:
        annotate_env
    threads: COMPUTE["annotate"]["threads"]
    resources:
        gpu=COMPUTE["annotate"]["gpu"],
        mem_mb=per_attempt("annotate", "mem_mb"),
        runtime=per_attempt("annotate", "runtime"),
    params:
        dataset=lambda wc: config["datasets"][wc.dataset],
        teacher=lambda wc: config["teachers"][wc.teacher],
        annotation=config["annotation"],
        journal="results/.journal/{dataset}/{teacher}/member{member}",
    script:
        "../workflow_scripts/annotate.py"
