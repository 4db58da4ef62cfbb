from labelrisk.logs import to_log

to_log(snakemake.log[0])

from pathlib import Path

from labelrisk import preflight as pf
from labelrisk.devices import job_name, lease_gpus

p = snakemake.params
lease_gpus(
    getattr(snakemake.resources, "gpu", 0), job=job_name(snakemake.rule, snakemake.wildcards)
)
pf.finish(
    [pf.student_check(snakemake.input.student, p.training, Path(p.work))], snakemake.output[0]
)
