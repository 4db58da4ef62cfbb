from labelrisk.logs import to_log

to_log(snakemake.log[0])

from pathlib import Path

from labelrisk import preflight as pf

p = snakemake.params
# No lease: the check counts every device this job may see.
checks = [
    pf.cuda_check(getattr(snakemake.resources, "gpu", 0)),
    pf.disk_check(p.models, Path("resources")),
]
if checks[0].status == "FAIL":
    checks += [pf.Check(n, "skip", "needs CUDA") for n in p.later]
pf.finish(checks, snakemake.output[0])
