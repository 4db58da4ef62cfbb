# Annotation: each (dataset, teacher, member) labels the pool and validation set once; every
# seed, size and mitigation reads the same file. Local teachers resume through a journal kept
# outside the outputs (results/.journal), which a crash does not delete; server teachers
# through a persistent answer cache (ANSWER_CACHE), so no call is ever paid twice.
# One rule, `annotate` (in-process transformers), and a variant per other backend; the teacher
# wildcard of each matches only the teachers of its backend, so exactly one rule makes any
# annotation. The same holds for `content_free`, the content-free inputs of contextual
# calibration scored through a member's prompt. What each backend's rules run in and ask for
# (environment, GPUs, threads, memory, local or not) is its descriptor's
# (labelrisk.teachers.backends); tests/test_backend_registry.py checks every rule against it.

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
    localrule: backend_local("transformers")
    conda:
        backend_env("transformers")
    threads: backend_threads("transformers")
    resources:
        **backend_resources("transformers"),
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
    localrule: backend_local("vllm")
    conda:
        backend_env("vllm")
    container:
        backend_image("vllm")
    threads: backend_threads("vllm")
    resources:
        **backend_resources("vllm"),


# A server does the work: HTTP requests only, a light env (no torch; the tokenizer only where
# the completions endpoint needs token ids), on the machine Snakemake runs on. Its API key comes
# only from the environment, read by the job itself (never a param: params are stored in
# .snakemake metadata and shown in reports); a run whose server jobs lack it stops before any
# job starts (`onstart` in common.smk), while dry runs, --unlock and --report never need it.
use rule annotate as annotate_openai with:
    wildcard_constraints:
        teacher=backend_teachers("openai"),
    localrule: backend_local("openai")
    conda:
        backend_env("openai")
    threads: backend_threads("openai")
    resources:
        **backend_resources("openai"),


use rule annotate as annotate_chat with:
    wildcard_constraints:
        teacher=backend_teachers("openai_chat"),
    localrule: backend_local("openai_chat")
    conda:
        backend_env("openai_chat")
    threads: backend_threads("openai_chat")
    resources:
        **backend_resources("openai_chat"),


# The same requests as a chat teacher's, through the server's batch API: one batch per job,
# polled (docs/backends.md, "Batch APIs").
use rule annotate as annotate_batch with:
    wildcard_constraints:
        teacher=backend_teachers("openai_batch"),
    localrule: backend_local("openai_batch")
    conda:
        backend_env("openai_batch")
    threads: backend_threads("openai_batch")
    resources:
        **backend_resources("openai_batch"),


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
    localrule: backend_local("transformers")
    conda:
        backend_env("transformers")
    threads: backend_threads("transformers")
    resources:
        **backend_resources("transformers"),
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
    localrule: backend_local("vllm")
    conda:
        backend_env("vllm")
    threads: backend_threads("vllm")
    resources:
        **backend_resources("vllm"),


use rule content_free as content_free_openai with:
    wildcard_constraints:
        teacher=backend_teachers("openai"),
    localrule: backend_local("openai")
    conda:
        backend_env("openai")
    threads: backend_threads("openai")
    resources:
        **backend_resources("openai"),


use rule content_free as content_free_chat with:
    wildcard_constraints:
        teacher=backend_teachers("openai_chat"),
    localrule: backend_local("openai_chat")
    conda:
        backend_env("openai_chat")
    threads: backend_threads("openai_chat")
    resources:
        **backend_resources("openai_chat"),


use rule content_free as content_free_batch with:
    wildcard_constraints:
        teacher=backend_teachers("openai_batch"),
    localrule: backend_local("openai_batch")
    conda:
        backend_env("openai_batch")
    threads: backend_threads("openai_batch")
    resources:
        **backend_resources("openai_batch"),
