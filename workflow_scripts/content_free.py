from labelrisk.logs import to_log

to_log(snakemake.log[0])

from labelrisk.devices import lease_gpus

# Before torch or vLLM is imported; a vLLM worker inherits CUDA_VISIBLE_DEVICES.
lease_gpus(getattr(snakemake.resources, "gpu", 0))

from labelrisk.annotation.job import Job
from labelrisk.annotation.runner import run_job

run_job(Job.from_rule(snakemake, "content_free"), snakemake.threads, snakemake.log[0])
