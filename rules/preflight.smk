# Preflight: `snakemake preflight` (with the run's profile and configs) checks, before any
# long job, that the machine can run the study: CUDA sees a device (driver and build named),
# the disk holds the models, vLLM starts each vLLM teacher and scores one prompt, the student
# takes one training step. One line per check; a failed check stops it with exit status 1.
# The machine check is a checkpoint, so nothing is downloaded before it has passed.

PREFLIGHT = "results/preflight"
PREFLIGHT_GPUS = max(COMPUTE["annotate"]["gpu"], COMPUTE["train"]["gpu"])
VLLM_TEACHERS = [t for t in TEACHERS if config["teachers"][t].get("backend") == "vllm"]


def models_to_fetch():
    """Origins of the grid's models not yet in resources/ (the disk check sizes them)."""
    wanted = {f"teachers/{t}": config["teachers"][t]["origin"] for t in TEACHERS}
    wanted[f"students/{STUDENT}"] = config["students"][STUDENT]["origin"]
    return {m: o for m, o in wanted.items() if not os.path.exists(f"resources/{m}")}


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
        models=models_to_fetch(),
        later=[f"teacher {t}" for t in VLLM_TEACHERS] + ["student"],
    script:
        "../workflow_scripts/preflight.py"


rule preflight_teacher:
    input:
        teacher="resources/teachers/{teacher}",
    output:
        f"{PREFLIGHT}/teacher_{{teacher}}.json",
    log:
        "logs/preflight/teacher_{teacher}.log",
    conda:
        conda_env("annotation-vllm", COMPUTE["annotate"]["gpu"])
    threads: COMPUTE["annotate"]["threads"]
    resources:
        gpu=COMPUTE["annotate"]["gpu"],
        mem_mb=max(COMPUTE["annotate"]["mem_mb"], 8000),
    params:
        python=lambda wc: (config["teachers"][wc.teacher].get("vllm") or {}).get("python"),
        check=lambda wc: {
            "name": wc.teacher,
            "teacher": teacher_params(wc),
            "task": config["datasets"][DATASETS[0]]["task"],
            "labels": LABELS[DATASETS[0]],
        },
    script:
        "../workflow_scripts/preflight.py"


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
        "../workflow_scripts/preflight.py"


def preflight_checks(wildcards):
    checkpoints.preflight_machine.get()  # CUDA and disk first: downloads only after them
    return [
        f"{PREFLIGHT}/machine.json",
        *expand(f"{PREFLIGHT}/teacher_{{teacher}}.json", teacher=VLLM_TEACHERS),
        f"{PREFLIGHT}/student.json",
    ]


rule preflight:
    input:
        preflight_checks,
    output:
        f"{PREFLIGHT}/report.txt",
    log:
        "logs/preflight/report.log",
    localrule: True
    script:
        "../workflow_scripts/preflight.py"
