from labelrisk.logs import to_log

to_log(snakemake.log[0])

import logging
from pathlib import Path

from labelrisk.fetch.fingerprint import write_fingerprint
from labelrisk.fetch.models import fetch_model
from labelrisk.fetch.tokenizer import check_tokenizer

src = snakemake.params.origin
out = Path(snakemake.output[0])
fetch_model(src, out, Path(snakemake.params.cache))
# A local folder is named as the user gave it.
check_tokenizer(src["path"] if src["kind"] == "local" else out, snakemake.wildcards.teacher)
fp = write_fingerprint(out, snakemake.output.fingerprint)
logging.info("weights fingerprint %s over %d files", fp["sha256"], len(fp["files"]))
logging.info("model ready in %s", out)
