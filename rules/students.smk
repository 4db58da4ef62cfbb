# Students: label sets per (dataset, source) for every seed and size, then fine-tuning. A job
# trains one run, every size of one seed, or every run of one source (`training.runs_per_job`):
# each run's predictions keep their own file either way.


# One label_sets and one train_student rule per list of sizes (datasets may override
# `grid.sizes`), since a rule's outputs cannot depend on a wildcard; each is constrained to
# its own datasets.
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
            "../envs/analysis.yaml"
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

    rule:
        name:
            "train_student" if group == 0 else f"train_student_{group}"
        input:
            student=f"resources/students/{STUDENT}",
            train=train_inputs,
            test=TEST,
        output:
            train_outputs(group_sizes),
        log:
            f"logs/train/{{dataset}}/{{source}}/{TRAIN_KEY}.log",
        benchmark:
            f"benchmarks/train/{{dataset}}/{{source}}/{TRAIN_KEY}.tsv"
        wildcard_constraints:
            dataset=_alternatives(group_datasets),
        conda:
            "../envs/training.yaml"
        threads: COMPUTE["train"]["threads"]
        resources:
            gpu=COMPUTE["train"]["gpu"],
            mem_mb=per_attempt("train", "mem_mb"),
            runtime=per_attempt("train", "runtime"),
        params:
            n_classes=n_classes,
            training=config["training"],
            runs=train_runs,
        script:
            "../workflow_scripts/train_student.py"
