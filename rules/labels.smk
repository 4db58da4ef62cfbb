# Label sets: the training and validation sets of every (dataset, label source, size, seed),
# labelled as the source says (labelrisk.labels.mitigations). A job writes the label sets of the
# runs its training job trains (`training.runs_per_job`), so a new seed adds jobs and rewrites
# no other seed's table.


rule label_sets:
    input:
        pool=POOL,
        val=VAL,
        annotations=annotation_inputs,
        embeddings=embedding_inputs,
        meta=calibration_meta,
    output:
        LABEL_SETS,
    log:
        f"logs/label_sets/{{dataset}}/{{source}}/{JOB}.log",
    # Seconds of work that gate a training job: never left behind the long jobs.
    priority: 1
    conda:
        "../envs/tables.yaml"
    params:
        runs=job_runs,
        labels=class_names,
        validation_labels=config["training"]["validation_labels"],
        settings=source_settings,
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
        EMBEDDINGS,
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
