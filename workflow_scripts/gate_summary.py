from labelrisk.logs import to_log

to_log(snakemake.log[0])

import json
from pathlib import Path

import pandas as pd

from labelrisk.evaluation import gate

records = [json.loads(Path(p).read_text()) for p in snakemake.input]
pd.DataFrame(records).drop(columns="prompt_example").to_csv(snakemake.output.csv, index=False)
Path(snakemake.output.rst).write_text(gate.first_page(records))
Path(snakemake.output.accepted).write_text(gate.accepted_note(records))
