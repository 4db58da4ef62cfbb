# Students: label sets per (dataset, source) for every seed and size, then one fine-tuning run
# per (dataset, source, size, seed).


rule label_sets:
    input:
        pool="results/data/{dataset}/pool.parquet",
        val="results/data/{dataset}/val.parquet",
        annotations=annotation_inputs,
        embeddings=embedding_inputs,
    output:
        expand(
            "results/label_sets/{{dataset}}/{{source}}/n{size}_seed{seed}.parquet",
            size=SIZES,
            seed=SEEDS,
        ),
    log:
        "logs/label_sets/{dataset}/{source}.log",
    conda:
        "../envs/analysis.yaml"
    params:
        sizes=SIZES,
        seeds=SEEDS,
        validation_labels=config["training"]["validation_labels"],
        mitigations=config["mitigations"],
        n_classes=lambda wc: len(config["datasets"][wc.dataset]["labels"]),
        seed=config["splits"]["seed"],
    script:
        "../workflow_scripts/label_sets.py"


rule train_student:
    input:
        student=f"resources/students/{STUDENT}",
        train="results/label_sets/{dataset}/{source}/n{size}_seed{seed}.parquet",
        test="results/data/{dataset}/test.parquet",
    output:
        "results/runs/{dataset}/{source}/n{size}_seed{seed}/predictions.parquet",
    log:
        "logs/train/{dataset}/{source}/n{size}_seed{seed}.log",
    benchmark:
        "benchmarks/train/{dataset}/{source}/n{size}_seed{seed}.tsv"
    conda:
        "../envs/models.yaml"
    threads: 1
    resources:
        mem_mb=3000,
    params:
        n_classes=lambda wc: len(config["datasets"][wc.dataset]["labels"]),
        training=config["training"],
        work="results/runs/{dataset}/{source}/n{size}_seed{seed}/work",
    script:
        "../workflow_scripts/train_student.py"
