from labelrisk.logs import to_log

to_log(snakemake.log[0])

from labelrisk.devices import job_name, lease_gpus

# Before torch or vLLM is imported; a vLLM worker inherits CUDA_VISIBLE_DEVICES.
job = job_name(snakemake.rule, snakemake.wildcards)
lease_gpus(getattr(snakemake.resources, "gpu", 0), job=job)

from labelrisk.annotation.job import Job
from labelrisk.annotation.runner import run_job

run_job(Job.from_rule(snakemake, "annotate"), snakemake.threads, snakemake.log[0])
