# Annotation: each (dataset, teacher, member) labels the pool and validation set once; every
# seed, size and mitigation reads the same file. Local teachers resume through a journal kept
# outside the outputs (results/.journal), which a crash does not delete; server teachers
# through a persistent answer cache (ANSWER_CACHE), so no call is ever paid twice.
# One rule, `annotate` (in-process transformers), and a variant per other backend with its own
# software environment and resources; the teacher wildcard of each matches only the teachers of
# its backend, so exactly one rule makes any annotation. The same holds for `content_free`, the
# content-free inputs of contextual calibration scored through a member's prompt.

from labelrisk.annotation import inputs as lr_inputs  # noqa: E402
from labelrisk.annotation.job import annotation_settings  # noqa: E402

# Every server teacher's answers, shared by datasets, pools, members and re-runs; kept.
ANSWER_CACHE = "resources/teacher_answers.sqlite"
CONTENT_FREE = "results/content_free/{dataset}/{teacher}/member{member}.json"
ANNOTATE_SETTINGS = annotation_settings(config)


rule annotate:
    input:
        teacher=lambda wc: lr_inputs.teacher_folder(config, wc.teacher),
        pool=POOL,
        val=VAL,
        prompt=lambda wc: lr_inputs.prompt_files(config, wc.dataset),
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
        dataset=lambda wc: lr_inputs.prompt_params(config, wc.dataset),
        teacher=lambda wc: lr_inputs.teacher_entry(config, wc.teacher),
        annotation=ANNOTATE_SETTINGS,
        journal="results/.journal/{dataset}/{teacher}/member{member}",
        cache=ANSWER_CACHE,
    script:
        "../workflow_scripts/annotate.py"


# vLLM in its own environment: the script starts `python -m labelrisk.annotation.vllm_worker` with the
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


# A server does the work. Its API key comes only from the environment: `envvars` makes
# Snakemake require the variable and pass it on, never storing its value (params are stored in
# .snakemake metadata and shown in reports). Server jobs send HTTP requests only: a light env
# (no torch; the tokenizer only where the completions endpoint needs token ids), run on the
# machine Snakemake runs on (`localrules`), where the answer cache's WAL is safe.
envvars:
    *OPENAI_KEY_VARS,


use rule annotate as annotate_openai with:
    wildcard_constraints:
        teacher=backend_teachers("openai"),
    conda:
        "../envs/annotation-completions.yaml"
    threads: 1
    resources:
        mem_mb=2000,


use rule annotate as annotate_chat with:
    wildcard_constraints:
        teacher=backend_teachers("openai_chat"),
    conda:
        "../envs/annotation-chat.yaml"
    threads: 1
    resources:
        mem_mb=1000,


# Content-free calibration inputs: its own job per (dataset, teacher, member), so switching
# content-free calibration on or off re-runs no annotation.
rule content_free:
    input:
        teacher=lambda wc: lr_inputs.teacher_folder(config, wc.teacher),
        pool=POOL,
        prompt=lambda wc: lr_inputs.prompt_files(config, wc.dataset),
    output:
        meta=CONTENT_FREE,
    log:
        "logs/content_free/{dataset}/{teacher}/member{member}.log",
    benchmark:
        "benchmarks/content_free/{dataset}/{teacher}/member{member}.tsv"
    wildcard_constraints:
        teacher=backend_teachers("transformers"),
    priority: 1
    conda:
        "../envs/models.yaml"
    threads: COMPUTE["annotate"]["threads"]
    resources:
        gpu=COMPUTE["annotate"]["gpu"],
        mem_mb=per_attempt("annotate", "mem_mb"),
        runtime=per_attempt("annotate", "runtime"),
    params:
        dataset=lambda wc: lr_inputs.prompt_params(config, wc.dataset),
        teacher=lambda wc: lr_inputs.teacher_entry(config, wc.teacher),
        annotation=ANNOTATE_SETTINGS,
        content_free_inputs=config["calibration"]["content_free_inputs"],
        journal="results/.journal/{dataset}/{teacher}/member{member}",
        cache=ANSWER_CACHE,
    script:
        "../workflow_scripts/content_free.py"


use rule content_free as content_free_vllm with:
    wildcard_constraints:
        teacher=backend_teachers("vllm"),
    conda:
        "../envs/annotation-vllm.yaml"
    resources:
        gpu=COMPUTE["annotate"]["gpu"],
        mem_mb=per_attempt("annotate", "mem_mb", at_least=8000),
        runtime=per_attempt("annotate", "runtime"),


use rule content_free as content_free_openai with:
    wildcard_constraints:
        teacher=backend_teachers("openai"),
    conda:
        "../envs/annotation-completions.yaml"
    threads: 1
    resources:
        mem_mb=2000,


use rule content_free as content_free_chat with:
    wildcard_constraints:
        teacher=backend_teachers("openai_chat"),
    conda:
        "../envs/annotation-chat.yaml"
    threads: 1
    resources:
        mem_mb=1000,


localrules:
    annotate_openai,
    annotate_chat,
    content_free_openai,
    content_free_chat,
