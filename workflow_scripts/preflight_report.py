from labelrisk.logs import to_log

to_log(snakemake.log[0])

from pathlib import Path

from labelrisk import preflight as pf

# Every line together.
checks = pf.load(snakemake.input)
Path(snakemake.output[0]).write_text("".join(c.line() + "\n" for c in checks))
pf.finish(checks)
