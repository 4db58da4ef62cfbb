# Embeddings: the frozen student's mean-pooled text embeddings of each dataset's pool and
# validation set, computed once and read by the learned error filter and confident learning.


rule embed:
    input:
        student="resources/students/{student}",
        pool=POOL,
        val=VAL,
    output:
        "results/embeddings/{dataset}/{student}.parquet",
    log:
        "logs/embed/{dataset}/{student}.log",
    benchmark:
        "benchmarks/embed/{dataset}/{student}.tsv"
    conda:
        "../envs/models.yaml"
    threads: 2
    resources:
        mem_mb=2000,
    params:
        max_length=config["training"]["max_length"],
    script:
        "../workflow_scripts/embed.py"
