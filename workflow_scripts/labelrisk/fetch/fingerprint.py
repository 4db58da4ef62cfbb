"""The weights fingerprint of a fetched model folder, computed once by the rule that fetches
it and written beside the folder (`resources/teachers/<id>.fingerprint.json`), so that jobs
reading the model (annotation journals) need not hash gigabytes each time."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from labelrisk.fetch.pypi import sha256_of


def model_files(folder: str | Path) -> list[Path]:
    """Every file of a model folder (links followed, hidden files aside), in path order."""
    root = Path(folder).resolve()
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )


def fingerprint(folder: str | Path) -> dict:
    """{"sha256": ..., "files": {relative path: sha256}}: the top digest is a sha256 over each
    file's relative path and digest, so two folders share it only when every file is the same,
    whatever their names or timestamps."""
    root = Path(folder).resolve()
    files = {p.relative_to(root).as_posix(): sha256_of(p) for p in model_files(root)}
    h = hashlib.sha256()
    for rel, digest in files.items():
        h.update(f"{rel}\0{digest}\n".encode())
    return {"sha256": h.hexdigest(), "files": files}


def write_fingerprint(folder: str | Path, out: str | Path) -> dict:
    fp = fingerprint(folder)
    Path(out).write_text(json.dumps(fp, indent=2) + "\n")
    return fp
