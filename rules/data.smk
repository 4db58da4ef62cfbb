# Data: read each dataset, drop (and count) malformed rows, split it reproducibly.


rule fetch_dataset:
    input:
        local_dataset,
    output:
        rows="resources/datasets/{dataset}.parquet",
        report="results/data/{dataset}/rows.json",
    log:
        "logs/data/fetch_{dataset}.log",
    priority: 2
    conda:
        "../envs/tables.yaml"
    params:
        dataset=dataset_reading,
        on_bad_rows=config["data"]["on_bad_rows"],
        max_dropped_share=config["data"]["max_dropped_share"],
        seed=config["splits"]["seed"],
        cache="resources/downloads",
    script:
        "../workflow_scripts/fetch_dataset.py"


rule split_dataset:
    input:
        rows="resources/datasets/{dataset}.parquet",
    output:
        pool=POOL,
        val=VAL,
        test=TEST,
        summary="results/data/{dataset}/split.json",
    log:
        "logs/data/split_{dataset}.log",
    priority: 2
    conda:
        "../envs/tables.yaml"
    params:
        seed=config["splits"]["seed"],
        val_size=config["splits"]["val_size"],
        test_size=config["splits"]["test_size"],
        texts_in_two_splits=config["splits"]["texts_in_two_splits"],
        pool=lambda wc: lr_grid.pool_size(config, wc.dataset),
    script:
        "../workflow_scripts/split_dataset.py"
