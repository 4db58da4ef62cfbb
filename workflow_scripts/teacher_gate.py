from labelrisk.logs import to_log

to_log(snakemake.log[0])

import json
import logging
from pathlib import Path

import pandas as pd

from labelrisk.evaluation import gate

p, w = snakemake.params, snakemake.wildcards
measured = gate.measure(
    pd.read_parquet(snakemake.input.pool),
    pd.read_parquet(snakemake.input.member0),
    p.n_classes,
)
found = gate.findings(measured, p.max_off_label_mass)
if found:
    text = gate.message(w.dataset, w.teacher, measured, found, p.max_off_label_mass)
    if not p.accept_weak:
        raise SystemExit(text)
    logging.warning("accepted (teachers.%s.accept_weak):\n%s", w.teacher, text)
prompt = json.loads(Path(snakemake.input.meta).read_text()).get("prompt_example")
record = {"dataset": w.dataset, "teacher": w.teacher, **measured}
record |= {"status": gate.status(found, p.accept_weak), "prompt_example": prompt}
Path(snakemake.output[0]).write_text(json.dumps(record, indent=2))
