# Students: fine-tuning on each label set. A job trains one run, every size of one seed, or
# every run of one label source (`training.runs_per_job`): each run's predictions keep their own
# file either way.


# One train_student rule per list of sizes (datasets may override `grid.sizes`), since a rule's
# outputs cannot depend on a wildcard; each is constrained to its own datasets.
for group, (group_datasets, group_sizes) in enumerate(SIZE_GROUPS):

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
            conda_env("students", COMPUTE["train"]["gpu"])
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
