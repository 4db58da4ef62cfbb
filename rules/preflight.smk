# Preflight: `snakemake preflight` (with the run's profile and configs) checks, before any
# long job, that the machine can run the study: CUDA sees a device (driver and build named),
# the disk holds the models, vLLM starts each vLLM teacher and scores one prompt, the student
# takes one training step. One line per check; a failed check stops it with exit status 1.
# The machine check is a checkpoint, so nothing is downloaded before it has passed.

PREFLIGHT = "results/preflight"
PREFLIGHT_GPUS = max(COMPUTE["annotate"]["gpu"], COMPUTE["train"]["gpu"])
# The teachers whose backend preflight starts (labelrisk.teachers.backends: vLLM).
VLLM_TEACHERS = [t for t in TEACHERS if lr_backends.of(config["teachers"][t]).preflight]
PREFLIGHT_CHECKS = [
    f"{PREFLIGHT}/machine.json",
    *expand(f"{PREFLIGHT}/teacher_{{teacher}}.json", teacher=VLLM_TEACHERS),
    f"{PREFLIGHT}/student.json",
]

from labelrisk import preflight as lr_preflight  # noqa: E402


checkpoint preflight_machine:
    output:
        f"{PREFLIGHT}/machine.json",
    log:
        "logs/preflight/machine.log",
    conda:
        conda_env("students", COMPUTE["train"]["gpu"])
    resources:
        gpu=PREFLIGHT_GPUS,
    params:
        models=lr_preflight.models_to_fetch(config, TEACHERS, STUDENT),
        later=[f"teacher {t}" for t in VLLM_TEACHERS] + ["student"],
    script:
        "../workflow_scripts/preflight_machine.py"


rule preflight_teacher:
    input:
        teacher="resources/teachers/{teacher}",
    output:
        f"{PREFLIGHT}/teacher_{{teacher}}.json",
    log:
        "logs/preflight/teacher_{teacher}.log",
    conda:
        backend_env("vllm")
    threads: backend_threads("vllm")
    resources:
        gpu=backend_gpus("vllm"),
        mem_mb=max(COMPUTE["annotate"]["mem_mb"], lr_backends.get("vllm").mem_mb),
    params:
        python=lambda wc: (config["teachers"][wc.teacher].get("vllm") or {}).get("python"),
        check=lambda wc: {
            "name": wc.teacher,
            "teacher": lr_inputs.teacher_entry(config, wc.teacher),
            "task": config["datasets"][DATASETS[0]]["task"],
            "labels": LABELS[DATASETS[0]],
        },
    script:
        "../workflow_scripts/preflight_teacher.py"


rule preflight_student:
    input:
        student=f"resources/students/{STUDENT}",
    output:
        f"{PREFLIGHT}/student.json",
    log:
        "logs/preflight/student.log",
    conda:
        conda_env("students", COMPUTE["train"]["gpu"])
    threads: COMPUTE["train"]["threads"]
    resources:
        gpu=COMPUTE["train"]["gpu"],
        mem_mb=COMPUTE["train"]["mem_mb"],
    params:
        training=config["training"],
        work=f"{PREFLIGHT}/student_work",
    script:
        "../workflow_scripts/preflight_student.py"


rule preflight:
    input:
        # Asking for the checkpoint's result first makes CUDA and disk pass before any download.
        lambda wc: checkpoints.preflight_machine.get() and PREFLIGHT_CHECKS,
    output:
        f"{PREFLIGHT}/report.txt",
    log:
        "logs/preflight/report.log",
    localrule: True
    conda:
        "../envs/tables.yaml"
    script:
        "../workflow_scripts/preflight_report.py"
