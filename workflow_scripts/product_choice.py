"""The label source of a dataset's product (labelrisk.product.choice)."""

from labelrisk.logs import to_log

to_log(snakemake.log[0])

import json
from pathlib import Path

import pandas as pd

from labelrisk.product.choice import check_source, choose

p = snakemake.params
risk = pd.read_csv(snakemake.input.risk) if snakemake.input.get("risk") else None
chosen = choose(p.product, snakemake.wildcards.dataset, p.teacher, risk)
check_source(chosen["source"], p.sources, "the chosen source")
Path(snakemake.output[0]).write_text(json.dumps(chosen | {"teacher": p.teacher}, indent=2))
