"""Sources outside PyPI: files at a URL (checksummed) and repositories on the Hugging Face Hub.

Both raise `RemoteError` naming the source when the download fails, so an unreachable Hub or
URL stops the job with a message that says which entry of the config to fix.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import urllib.request
from pathlib import Path

from labelrisk.fetch.pypi import open_member

log = logging.getLogger(__name__)


class RemoteError(RuntimeError):
    pass


def url_cache_name(url: str, pin: str | None) -> str:
    """File name of a download in the cache, keyed by the whole URL (a hash of it), so two
    URLs that end in the same file name never share a file; a pinned checksum is part of the
    name too, and the URL's last part is kept to make the cache readable."""
    base = url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1] or "download"
    key = hashlib.sha256(url.encode()).hexdigest()[:16]
    return f"{key}-{pin[:16]}-{base}" if pin else f"{key}-{base}"


def digests(path: Path) -> dict[str, str]:
    """sha256 and md5 of a file, in one read."""
    hashes = {"sha256": hashlib.sha256(), "md5": hashlib.md5(usedforsecurity=False)}
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            for h in hashes.values():
                h.update(block)
    return {k: h.hexdigest() for k, h in hashes.items()}


def mismatch(got: dict[str, str], pins: dict[str, str]) -> str | None:
    """`<algo> (expected X, got Y)` for the first pinned digest that differs, else None."""
    for algo, want in pins.items():
        if got[algo] != want:
            return f"{algo} (expected {want}, got {got[algo]})"
    return None


def download_url(
    url: str, sha256: str | None, cache: Path, timeout: float = 60, md5: str | None = None
) -> Path:
    """Download `url` into `cache` once: streamed to a temporary file, checked, then renamed.

    Checked against each pinned digest, sha256 and/or md5 (records that publish md5 only). A
    file already in the cache is re-checked: a pinned one that no longer matches (a torn or
    altered copy) is downloaded again and replaced. Unpinned, the computed sha256 is logged so
    that it can be pinned.
    """
    pins = {k: v for k, v in (("sha256", sha256), ("md5", md5)) if v}
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / url_cache_name(url, sha256 or md5)
    if target.exists():
        wrong = mismatch(digests(target), pins)
        if not wrong:
            return target
        log.warning(
            "cached %s does not match its pinned %s: downloading %s again", target, wrong, url
        )
    log.info("downloading %s", url)
    fd, tmp = tempfile.mkstemp(dir=cache, prefix=".part-")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as resp:
            shutil.copyfileobj(resp, out, 1 << 20)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        stale = f" (the cached copy {target} is damaged: delete it)" if target.exists() else ""
        raise RemoteError(f"could not download {url}: {e}{stale}") from e
    got = digests(Path(tmp))
    wrong = mismatch(got, pins)
    if wrong:
        Path(tmp).unlink()
        raise RemoteError(f"{url}: mismatch of the pinned {wrong}")
    if not pins:
        log.warning("%s is not pinned: its sha256 is %s (md5 %s)", url, got["sha256"], got["md5"])
    os.replace(tmp, target)
    return target


def read_url_member(src: dict, cache: Path) -> tuple[bytes, str]:
    """Bytes of a url source (or of its `member` inside a .zip/.tar.gz) and the file's name."""
    path = download_url(src["url"], src.get("sha256"), cache, md5=src.get("md5"))
    if not src.get("member"):
        return path.read_bytes(), path.name
    arch, member = open_member(path, src["member"], src.get("inner"))
    return arch.read(member), member


def _hub():
    try:
        import huggingface_hub
    except ImportError as e:  # a transformers dependency, so normally present
        raise RemoteError("hf sources need the huggingface_hub package") from e
    return huggingface_hub


def hub_file(repo: str, revision: str, filename: str, cache: Path, repo_type: str) -> Path:
    """One file of a Hub repository at a pinned revision, through the Hub client's cache."""
    try:
        got = _hub().hf_hub_download(
            repo_id=repo,
            filename=filename,
            revision=revision,
            repo_type=repo_type,
            cache_dir=str(cache / "hf"),
        )
    except Exception as e:  # the client raises many types (offline, 404, gated, timeouts)
        raise RemoteError(
            f"could not fetch {filename!r} from the Hugging Face Hub {repo_type} {repo}@{revision}:"
            f" {type(e).__name__}: {e}"
        ) from e
    return Path(got)


def hub_snapshot(repo: str, revision: str, out_dir: Path, cache: Path, patterns=None) -> Path:
    """A model repository at a pinned revision, materialised as a plain folder `out_dir`."""
    try:
        _hub().snapshot_download(
            repo_id=repo,
            revision=revision,
            cache_dir=str(cache / "hf"),
            local_dir=str(out_dir),
            allow_patterns=patterns,
        )
    except Exception as e:
        shutil.rmtree(out_dir, ignore_errors=True)
        raise RemoteError(
            f"could not fetch model {repo}@{revision} from the Hugging Face Hub:"
            f" {type(e).__name__}: {e}"
        ) from e
    return out_dir


def hub_dataset(src: dict, cache: Path):
    """A Hub dataset at a pinned revision through `datasets.load_dataset`, as a DataFrame.

    The repository is first materialised at its commit through the Hub client's cache (so a
    cached snapshot is read offline), then `load_dataset` reads that folder with the config
    `name` and the `split` expression (e.g. `train+test`), as the repository's card declares
    them.
    """
    try:
        import datasets
    except ImportError as e:
        raise RemoteError("hf datasets read with `split` need the datasets package") from e
    repo, revision = src["repo"], src["revision"]
    try:
        # Online, the Hub lists the commit's files; unreachable (or HF_HUB_OFFLINE=1), the
        # client falls back to that commit's snapshot in its cache.
        folder = _hub().snapshot_download(
            repo_id=repo, revision=revision, repo_type="dataset", cache_dir=str(cache / "hf")
        )
    except Exception as e:
        raise RemoteError(
            f"could not fetch dataset {repo}@{revision} from the Hugging Face Hub:"
            f" {type(e).__name__}: {e}"
        ) from e
    try:
        table = datasets.load_dataset(
            folder, src.get("name"), split=src["split"], cache_dir=str(cache / "datasets")
        )
    except (ValueError, FileNotFoundError, KeyError) as e:
        raise RemoteError(
            f"dataset {repo}@{revision} (config {src.get('name')!r}, split {src['split']!r}):"
            f" {type(e).__name__}: {e}"
        ) from e
    return table.to_pandas()
