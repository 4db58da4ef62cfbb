from labelrisk.logs import to_log

to_log(snakemake.log[0])

from pathlib import Path

import pandas as pd

from labelrisk.artefacts.forest import forest, inline_rst, png_bytes

fig = forest(pd.read_csv(snakemake.input[0]))
png = png_bytes(fig)
Path(snakemake.output.png).write_bytes(png)
Path(snakemake.output.rst).write_text(inline_rst(png))
