# Students: label sets per (dataset, source) for every seed and size, then fine-tuning. A job
# trains one run, every size of one seed, or every run of one source (`training.runs_per_job`):
# each run's predictions keep their own file either way.


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
        train=train_inputs,
        test="results/data/{dataset}/test.parquet",
    output:
        train_outputs(),
    log:
        f"logs/train/{{dataset}}/{{source}}/{TRAIN_KEY}.log",
    benchmark:
        f"benchmarks/train/{{dataset}}/{{source}}/{TRAIN_KEY}.tsv"
    conda:
        "../envs/models.yaml"
    threads: 1
    resources:
        mem_mb=3000,
    params:
        n_classes=lambda wc: len(config["datasets"][wc.dataset]["labels"]),
        training=config["training"],
        runs=train_runs,
    script:
        "../workflow_scripts/train_student.py"
