from labelrisk.logs import to_log

to_log(snakemake.log[0])

from labelrisk.devices import lease_gpus

lease_gpus(getattr(snakemake.resources, "gpu", 0))  # the vLLM worker inherits CUDA_VISIBLE_DEVICES

from pathlib import Path

from labelrisk.annotate_job import Job
from labelrisk.vllm_worker import launch

job = Job.from_rule(snakemake)
launch(
    job,
    Path(job.journal) / "job.json",
    (job.teacher.get("vllm") or {}).get("python"),
    snakemake.threads,
    snakemake.log[0],
)
