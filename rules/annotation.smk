# Annotation: each (dataset, teacher, member) labels the pool and validation set once; every
# seed, size and mitigation reads the same file. Resumable through a journal kept outside
# the outputs (results/.journal), which a crash does not delete.
# One rule, `annotate` (in-process transformers), and a variant per other backend with its own
# software environment and resources; the teacher wildcard of each matches only the teachers of
# its backend, so exactly one rule makes any annotation. The script dispatches on the backend.


rule annotate:
    input:
        teacher="resources/teachers/{teacher}",
        pool=POOL,
        val=VAL,
    output:
        labels="results/annotations/{dataset}/{teacher}/member{member}.parquet",
        meta="results/annotations/{dataset}/{teacher}/member{member}.json",
    log:
        "logs/annotate/{dataset}/{teacher}/member{member}.log",
    benchmark:
        "benchmarks/annotate/{dataset}/{teacher}/member{member}.tsv"
    wildcard_constraints:
        teacher=backend_teachers("transformers"),
    # Annotations gate every teacher-label training job: schedule them first.
    priority: 1
    conda:
        "../envs/models.yaml"
    threads: COMPUTE["annotate"]["threads"]
    resources:
        gpu=COMPUTE["annotate"]["gpu"],
        mem_mb=per_attempt("annotate", "mem_mb"),
        runtime=per_attempt("annotate", "runtime"),
    params:
        dataset=dataset_entry,
        teacher=teacher_params,
        annotation=ANNOTATION,
        journal="results/.journal/{dataset}/{teacher}/member{member}",
    script:
        "../workflow_scripts/annotate.py"


# vLLM in its own environment: the script starts `python -m labelrisk.teachers.vllm_worker` with the
# teacher's `vllm.python` (a local vLLM venv) or, when unset, the interpreter of this rule's
# conda env (`--sdm conda`).
use rule annotate as annotate_vllm with:
    wildcard_constraints:
        teacher=backend_teachers("vllm"),
    conda:
        conda_env("annotation-vllm", COMPUTE["annotate"]["gpu"])
    resources:
        gpu=COMPUTE["annotate"]["gpu"],
        mem_mb=per_attempt("annotate", "mem_mb", at_least=8000),
        runtime=per_attempt("annotate", "runtime"),


# An OpenAI-compatible server does the work. Its API key comes only from the environment:
# `envvars` makes Snakemake require the variable and pass it on to cluster jobs, never
# storing its value (params are stored in .snakemake metadata and shown in reports).
envvars:
    *OPENAI_KEY_VARS,


use rule annotate as annotate_openai with:
    wildcard_constraints:
        teacher=backend_teachers("openai"),
    threads: 1
    resources:
        mem_mb=2000,
