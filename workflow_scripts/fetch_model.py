from labelrisk.logs import to_log

to_log(snakemake.log[0])

# Serves fetch_teacher and fetch_student (a rule's script path is part of its code: renaming it
# would re-run the downloads, and everything after them, in every existing results folder).
# What differs is what the rule declares: a `fingerprint` output (a teacher's) is written, with
# the teacher's tokenizer checked first.
import logging
from pathlib import Path

from labelrisk.fetch.models import fetch_model

src = snakemake.params.origin
out = Path(snakemake.output[0])
fetch_model(src, out, Path(snakemake.params.cache))
if fingerprint := snakemake.output.get("fingerprint"):
    from labelrisk.fetch.fingerprint import write_fingerprint
    from labelrisk.fetch.tokenizer import check_tokenizer

    # A local folder is named as the user gave it.
    check_tokenizer(src["path"] if src["kind"] == "local" else out, snakemake.wildcards.teacher)
    fp = write_fingerprint(out, fingerprint)
    logging.info("weights fingerprint %s over %d files", fp["sha256"], len(fp["files"]))
logging.info("model ready in %s", out)
