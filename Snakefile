# labelrisk: re-run "Feeding LLM Annotations to BERT Classifiers at Your Own Risk" (Lu & Smith,
# 2025) on your own data and models. Stages, in order: resources -> data -> annotation ->
# label sets -> students -> evaluation -> tables, figures and report.

from snakemake.utils import min_version

min_version("9.0")


configfile: "config.yaml"


report: "report/workflow.rst"


include: "rules/common.smk"
include: "rules/resources.smk"
include: "rules/data.smk"
include: "rules/annotate.smk"
include: "rules/embed.smk"
include: "rules/students.smk"
include: "rules/evaluate.smk"
include: "rules/artefacts.smk"
include: "rules/analysis.smk"


rule all:
    default_target: True
    input:
        final_targets(),
