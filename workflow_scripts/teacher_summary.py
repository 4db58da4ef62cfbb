from labelrisk.logs import to_log

to_log(snakemake.log[0])

import pandas as pd

from labelrisk.artefacts.coverage import require, teacher_gaps

teachers = pd.concat([pd.read_parquet(p) for p in snakemake.input], ignore_index=True)
require(
    teacher_gaps(teachers, snakemake.params.datasets, snakemake.params.members),
    "the teacher-quality tables (results/teacher_quality/)",
)
# Per-class columns last, in class order, whatever the datasets' class counts.
cls = sorted(
    (c for c in teachers if c.startswith("f1_class_")), key=lambda c: int(c.rsplit("_", 1)[1])
)
teachers = teachers[[c for c in teachers if c not in cls] + cls]
teachers.to_csv(snakemake.output[0], index=False)
