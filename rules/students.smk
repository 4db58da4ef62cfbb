# Students: label sets per (dataset, source) for every seed and size, then one fine-tuning run
# per (dataset, source, size, seed).


# One label_sets rule per list of sizes (datasets may override `grid.sizes`), since a rule's
# outputs cannot depend on a wildcard; each is constrained to its own datasets.
for group, (group_datasets, group_sizes) in enumerate(SIZE_GROUPS):

    rule:
        name:
            "label_sets" if group == 0 else f"label_sets_{group}"
        input:
            pool="results/data/{dataset}/pool.parquet",
            val="results/data/{dataset}/val.parquet",
            annotations=annotation_inputs,
        output:
            expand(
                "results/label_sets/{{dataset}}/{{source}}/n{size}_seed{seed}.parquet",
                size=group_sizes,
                seed=SEEDS,
            ),
        log:
            "logs/label_sets/{dataset}/{source}.log",
        wildcard_constraints:
            dataset=_alternatives(group_datasets),
        conda:
            "../envs/analysis.yaml"
        params:
            sizes=group_sizes,
            seeds=SEEDS,
            validation_labels=config["training"]["validation_labels"],
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
        "../envs/training.yaml"
    threads: COMPUTE["train"]["threads"]
    resources:
        gpu=COMPUTE["train"]["gpu"],
        mem_mb=per_attempt("train", "mem_mb"),
        runtime=per_attempt("train", "runtime"),
    params:
        n_classes=lambda wc: len(config["datasets"][wc.dataset]["labels"]),
        training=config["training"],
        work="results/runs/{dataset}/{source}/n{size}_seed{seed}/work",
    script:
        "../workflow_scripts/train_student.py"
