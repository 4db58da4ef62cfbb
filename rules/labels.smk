# Label sets: the training and validation set of every (dataset, label source, size, seed),
# labelled as the source says (labelrisk.labels.mitigations).


# One label_sets rule per list of sizes (datasets may override `grid.sizes`), since a rule's
# outputs cannot depend on a wildcard; each is constrained to its own datasets.
for group, (group_datasets, group_sizes) in enumerate(SIZE_GROUPS):

    rule:
        name:
            "label_sets" if group == 0 else f"label_sets_{group}"
        input:
            pool=POOL,
            val=VAL,
            annotations=annotation_inputs,
            embeddings=embedding_inputs,
            meta=calibration_meta,
        output:
            expand(LABEL_SET, size=group_sizes, seed=SEEDS, allow_missing=True),
        log:
            "logs/label_sets/{dataset}/{source}.log",
        wildcard_constraints:
            dataset=_alternatives(group_datasets),
        # Seconds of work that gate a training job: never left behind the long jobs.
        priority: 1
        conda:
            "../envs/tables.yaml"
        params:
            sizes=group_sizes,
            seeds=SEEDS,
            validation_labels=config["training"]["validation_labels"],
            mitigations=config["mitigations"],
            calibration=config["calibration"],
            labels=lambda wc: LABELS[wc.dataset],
            n_classes=n_classes,
            seed=config["splits"]["seed"],
        script:
            "../workflow_scripts/label_sets.py"


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
