from labelrisk.logs import to_log

to_log(snakemake.log[0])

import logging
from pathlib import Path

from labelrisk.fetch.models import fetch_model

out = Path(snakemake.output[0])
fetch_model(snakemake.params.origin, out, Path(snakemake.params.cache))
logging.info("model ready in %s", out)
