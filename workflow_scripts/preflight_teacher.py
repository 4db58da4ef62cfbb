from labelrisk.logs import to_log

to_log(snakemake.log[0])

from labelrisk import preflight as pf
from labelrisk.devices import job_name, lease_gpus

p = snakemake.params
lease_gpus(
    getattr(snakemake.resources, "gpu", 0), job=job_name(snakemake.rule, snakemake.wildcards)
)
checks = pf.teacher_in_worker(
    snakemake.input.teacher, p.check, p.python, snakemake.output[0], snakemake.log[0]
)
pf.finish(checks, snakemake.output[0])
