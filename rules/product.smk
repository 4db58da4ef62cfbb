# The product (`snakemake product`): the teacher labels each dataset's unlabelled table with the
# study's prompt and demonstrations; a student is trained on the chosen source's labels of pool
# + unlabelled rows with the study's recipe and exported with a model card; `snakemake predict`
# labels new texts with it. No job of the study reads these files: the default target is unchanged.

import json

from labelrisk.product import rules as lr_product  # noqa: E402

PRODUCT = config["product"]
PRODUCT_ROOT = "results/product/{dataset}"
UNLABELLED = f"{PRODUCT_ROOT}/unlabelled.parquet"
PRODUCT_ANSWERS = f"{PRODUCT_ROOT}/annotations/{{teacher}}/member{{member}}.parquet"
PRODUCT_MODEL = f"{PRODUCT_ROOT}/model"
lr_product.check(config, SOURCE_IDS)


rule product:
    input:
        lambda wc: expand(PRODUCT_MODEL, dataset=lr_product.datasets(config)),


rule predict:
    input:
        lambda wc: expand(f"{PRODUCT_ROOT}/predictions.csv", dataset=lr_product.datasets(config)),


rule product_unlabelled:
    input:
        table=lambda wc: lr_grid.local_inputs(config["datasets"][wc.dataset]["unlabelled"]),
        pool=POOL,
        val=VAL,
        test=TEST,
    output:
        rows=UNLABELLED,
        report=f"{PRODUCT_ROOT}/unlabelled.json",
    log:
        "logs/product/{dataset}/unlabelled.log",
    conda:
        "../envs/tables.yaml"
    params:
        origin=lambda wc: config["datasets"][wc.dataset]["unlabelled"],
        on_bad_rows=config["data"]["on_bad_rows"],
        cache="resources/downloads",
    script:
        "../workflow_scripts/product_unlabelled.py"


checkpoint product_choice:
    input:
        risk=[] if PRODUCT["source"] not in lr_product.RECOMMENDED else rules.risk.output.csv,
    output:
        f"{PRODUCT_ROOT}/choice.json",
    log:
        "logs/product/{dataset}/choice.log",
    localrule: True
    conda:
        "../envs/tables.yaml"
    params:
        # Only what the choice reads: changing `product.predict` re-trains nothing.
        product={"source": PRODUCT["source"]},
        teacher=lambda wc: lr_product.teacher(config),
        sources=SOURCE_IDS,
    script:
        "../workflow_scripts/product_choice.py"


# The study's annotate rule on another items table, one variant per backend as for the study's
# own rules (labelrisk.teachers.backends); its journal (keyed without the items, kept) or the
# answer cache lets a larger table score only its new rows.
rule product_annotate:
    input:
        teacher=lambda wc: lr_inputs.teacher_folder(config, wc.teacher),
        pool=POOL,
        unlabelled=UNLABELLED,
        prompt=lambda wc: lr_inputs.prompt_files(config, wc.dataset),
    output:
        labels=PRODUCT_ANSWERS,
        meta=PRODUCT_ANSWERS.replace(".parquet", ".json"),
    log:
        "logs/product/{dataset}/annotate_{teacher}_member{member}.log",
    benchmark:
        "benchmarks/product/{dataset}/annotate_{teacher}_member{member}.tsv"
    wildcard_constraints:
        teacher=backend_teachers("transformers"),
    localrule: backend_local("transformers")
    conda:
        backend_env("transformers")
    threads: backend_threads("transformers")
    resources:
        **backend_resources("transformers"),
    params:
        dataset=lambda wc: lr_inputs.prompt_params(config, wc.dataset),
        teacher=lambda wc: lr_inputs.teacher_entry(config, wc.teacher),
        annotation=ANNOTATE_SETTINGS,
        journal="results/.journal/product/{dataset}/{teacher}/member{member}",
        cache=ANSWER_CACHE,
    script:
        "../workflow_scripts/annotate.py"


use rule product_annotate as product_annotate_vllm with:
    wildcard_constraints:
        teacher=backend_teachers("vllm"),
    localrule: backend_local("vllm")
    conda:
        backend_env("vllm")
    threads: backend_threads("vllm")
    resources:
        **backend_resources("vllm"),


use rule product_annotate as product_annotate_openai with:
    wildcard_constraints:
        teacher=backend_teachers("openai"),
    localrule: backend_local("openai")
    conda:
        backend_env("openai")
    threads: backend_threads("openai")
    resources:
        **backend_resources("openai"),


use rule product_annotate as product_annotate_chat with:
    wildcard_constraints:
        teacher=backend_teachers("openai_chat"),
    localrule: backend_local("openai_chat")
    conda:
        backend_env("openai_chat")
    threads: backend_threads("openai_chat")
    resources:
        **backend_resources("openai_chat"),


use rule product_annotate as product_annotate_batch with:
    wildcard_constraints:
        teacher=backend_teachers("openai_batch"),
    localrule: backend_local("openai_batch")
    conda:
        backend_env("openai_batch")
    threads: backend_threads("openai_batch")
    resources:
        **backend_resources("openai_batch"),


rule train_product:
    input:
        # The chosen source's answers (study and unlabelled rows) and what its card reports.
        unpack(
            lambda wc: lr_product.inputs(
                checkpoints.product_choice.get(dataset=wc.dataset).output[0],
                wc.dataset,
                MEMBERS,
                {
                    "study_answers": rules.annotate.output.labels,
                    "product_answers": PRODUCT_ANSWERS,
                    "meta": CONTENT_FREE,
                    "metrics": METRICS,
                    "items": ITEMS,
                },
            )
        ),
        student=f"resources/students/{STUDENT}",
        choice=rules.product_choice.output[0],
        pool=POOL,
        val=VAL,
        test=TEST,
        unlabelled=UNLABELLED,
    output:
        model=directory(PRODUCT_MODEL),
        summary=f"{PRODUCT_ROOT}/product.json",
        training=f"{PRODUCT_ROOT}/training_set.parquet",
        # The folder's model card, shown in the report beside the risk summary.
        card=report(
            f"{PRODUCT_ROOT}/model_card.md",
            caption="../report/product.rst",
            category="Risk summary",
            subcategory="{dataset}: product",
        ),
    log:
        "logs/product/{dataset}/train.log",
    benchmark:
        "benchmarks/product/{dataset}/train.tsv"
    conda:
        conda_env("students", COMPUTE["train"]["gpu"])
    threads: COMPUTE["train"]["threads"]
    resources:
        gpu=COMPUTE["train"]["gpu"],
        mem_mb=per_attempt("train", "mem_mb"),
        runtime=per_attempt("train", "runtime"),
    params:
        n_classes=n_classes,
        labels=class_names,
        seed=lr_product.seed(config),
        training=lr_jobs.prediction_settings(config["training"]),
        validation_labels=config["training"]["validation_labels"],
        settings=lambda wc, input: lr_grid.settings(
            config, json.loads(open(input.choice).read())["source"]
        ),
        base=config["students"][STUDENT]["origin"],
        language=PRODUCT["language"],
    script:
        "../workflow_scripts/train_product.py"


rule predict_product:
    input:
        model=PRODUCT_MODEL,
        table=lambda wc: lr_product.predict_input(config),
    output:
        f"{PRODUCT_ROOT}/predictions.csv",
    log:
        "logs/product/{dataset}/predict.log",
    benchmark:
        "benchmarks/product/{dataset}/predict.tsv"
    conda:
        conda_env("students", COMPUTE["train"]["gpu"])
    threads: COMPUTE["train"]["threads"]
    resources:
        gpu=COMPUTE["train"]["gpu"],
        mem_mb=per_attempt("train", "mem_mb"),
    params:
        text_column=PRODUCT["predict"]["text_column"],
        batch_size=PRODUCT["predict"]["batch_size"],
        device="auto",
    script:
        "../workflow_scripts/predict_product.py"
