from labelrisk.logs import to_log

to_log(snakemake.log[0])

from labelrisk.devices import lease_gpus

lease_gpus(getattr(snakemake.resources, "gpu", 0))  # before torch or vLLM is imported

from labelrisk.annotate_job import Job, run
from labelrisk.teacher_factory import open_teacher

job = Job.from_rule(snakemake)
run(job, open_teacher(job.teacher, job.teacher_dir, snakemake.threads))
