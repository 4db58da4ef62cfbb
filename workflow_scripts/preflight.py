from labelrisk.logs import to_log

to_log(snakemake.log[0])

import json
import os
import subprocess
import sys
from pathlib import Path

from labelrisk import preflight as pf
from labelrisk.devices import job_name, lease_gpus

rule, p = snakemake.rule, snakemake.params
gpus = getattr(snakemake.resources, "gpu", 0)
if rule == "preflight_machine":
    # No lease: the check counts every device this job may see.
    checks = [pf.cuda_check(gpus), pf.disk_check(p.models, Path("resources"))]
    if checks[0].status == "FAIL":
        checks += [pf.Check(n, "skip", "needs CUDA") for n in p.later]
elif rule == "preflight_student":
    lease_gpus(gpus, job=job_name(rule, snakemake.wildcards))
    checks = [pf.student_check(snakemake.input.student, p.training, Path(p.work))]
elif rule == "preflight_teacher":
    lease_gpus(gpus, job=job_name(rule, snakemake.wildcards))
    # In the interpreter that has vLLM, as the annotation jobs run it.
    from labelrisk.annotation.vllm_worker import PACKAGE_ROOT

    args = Path(snakemake.output[0]).with_suffix(".args.json")
    args.write_text(json.dumps({"model_dir": snakemake.input.teacher, **p.check}))
    env = dict(os.environ, PYTHONPATH=str(PACKAGE_ROOT))
    python = os.path.expanduser(p.python) if p.python else sys.executable
    cmd = [python, "-m", "labelrisk.preflight", str(args), snakemake.output[0]]
    with open(snakemake.log[0], "a") as log:
        subprocess.run(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    args.unlink()
    out = Path(snakemake.output[0])
    checks = (
        pf.load([out])
        if out.exists()
        else [
            pf.Check(
                f"teacher {snakemake.wildcards.teacher}", "FAIL", f"{python} could not run vLLM"
            )
        ]
    )
else:  # preflight: every line together
    checks = pf.load(snakemake.input)
    Path(snakemake.output[0]).write_text("".join(c.line() + "\n" for c in checks))

ok = pf.show(checks)  # to the log
pf.show(checks, sys.__stdout__)  # and to the terminal (or the cluster job's output)
if rule != "preflight":
    pf.save(checks, snakemake.output[0])
if not ok:
    sys.exit(1)
