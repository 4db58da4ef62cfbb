# labelrisk: re-run "Feeding LLM Annotations to BERT Classifiers at Your Own Risk" (Lu & Smith,
# 2025) on your own data and models. Stages, in order: resources -> data -> annotation ->
# label sets -> students -> evaluation -> tables, figures and report.

import os
import sys

from snakemake.exceptions import WorkflowError
from snakemake.utils import min_version

min_version("9.0")

sys.path.insert(0, os.path.join(workflow.basedir, "workflow_scripts"))
from labelrisk.config import check_yaml  # noqa: E402

# The demo (config.yaml) is read only when no --configfile is given: Snakemake merges every
# --configfile over the workflow's own, so a user's config would otherwise inherit the demo's
# CPU values (learning rate, text budget, splits, teachers) without a word. With --configfile,
# the keys it leaves out take the schema's defaults, the paper's values; to build on the demo,
# name it: `--configfile config.yaml config/extended.yaml` (config/README.md).
CONFIGFILES = list(workflow.overwrite_configfiles) or ["config.yaml"]

# Snakemake's message for a malformed config file names neither the file nor the line, and
# of a key given twice it silently keeps the last. (A malformed --configfile stops Snakemake
# before this file is read: `--verbose` shows its line, as does `python -m labelrisk.config`.)
for path in CONFIGFILES:
    if os.path.exists(path):
        check_yaml(path)


# Jobs declare the memory they were measured to take (`compute.*.mem_mb`). Without a limit,
# Snakemake runs any two side by side: two 1.5B annotation jobs need 9 GB. A local run that
# sets none is held to the memory this machine has available (labelrisk.machine).
if (
    workflow.is_main_process
    and "mem_mb" not in workflow.global_resources
    and workflow.global_resources["_nodes"].value is None
):
    from labelrisk.machine import memory_limit_mb

    if MEM_LIMIT_MB := memory_limit_mb():
        workflow.register_resource("mem_mb", MEM_LIMIT_MB)
else:
    MEM_LIMIT_MB = None


if not workflow.overwrite_configfiles:

    configfile: "config.yaml"


report: "report/workflow.rst"


include: "rules/common.smk"
include: "rules/envs.smk"
include: "rules/fetch.smk"
include: "rules/data.smk"
include: "rules/annotation.smk"
include: "rules/labels.smk"
include: "rules/gate.smk"
include: "rules/students.smk"
include: "rules/evaluation.smk"
include: "rules/artefacts.smk"
include: "rules/preflight.smk"
include: "rules/plan.smk"
include: "rules/risk.smk"
include: "rules/export.smk"
include: "rules/product.smk"


# A server teacher's API key is read by its job from the environment, never declared as
# `envvars:` (Snakemake would then ask for it in dry runs, --unlock, --report and every
# rebuild that calls no server). A run whose server jobs lack it stops before any job starts.
# Then the CPU found, the precision chosen, the expected time and memory: said before any job.
onstart:
    if missing := missing_keys():
        raise WorkflowError("\n".join(missing))
    from labelrisk.machine import statement

    try:
        cores = workflow.cores
    except WorkflowError:  # a cluster run has no local core count: nothing to estimate here
        cores = None
    if cores:
        print(statement(config, cores, mem_limit_mb=MEM_LIMIT_MB), file=sys.stderr)


rule all:
    default_target: True
    input:
        final_targets(),
        rules.risk.output,
        rules.gate_summary.output,
        rules.risk_figure.output,
