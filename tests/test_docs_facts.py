"""What the README and docs/*.md name exists: every relative link, and every backticked path of
a repository file. The README's stage table names files inside the package (`fetch/`,
`pypi.py`), so a bare name must be some file's or folder's name, and a path may start inside
`workflow_scripts/` or the package. Paths of what a run writes (`results/`, `resources/`,
`logs/`), patterns (`<dataset>`, `*`, `{a,b}`) and a user's own files are not checked."""

import os
import re
from pathlib import Path

import pytest

from conftest import ROOT

pytestmark = pytest.mark.unit

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
PACKAGE = ROOT / "workflow_scripts" / "labelrisk"
# Where a path may start: the repository, the rule scripts' folder, the package.
BASES = (ROOT, ROOT / "workflow_scripts", PACKAGE)
# Folders that hold no workflow file: git's, environments, and what a run or the tests write.
WRITTEN = {".git", ".venv", ".snakemake", ".work", ".cache", "__pycache__"}
WRITTEN |= {"results", "resources", "logs"}
# Names of files that are not the repository's, for the docs' own reasons.
OTHERS = {"setup.py"}  # a downloaded sdist's build script (docs/reliability.md)
# The extensions that make a bare name a workflow file rather than an output's.
SOURCES = (".py", ".smk", ".yaml", ".rst", ".toml", ".jinja", ".sh")
LINK = re.compile(r"\]\(([^)\s]+)\)")
TICKED = re.compile(r"`([^`\n]+)`")
PATTERN = re.compile(r"[\s<>*{}…:=]|\.\.\.|^/|^-|//")


def repository_names() -> set[str]:
    names = set()
    for _folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in WRITTEN]
        names.update(dirs, files)
    return names


def tops() -> set[str]:
    """First components a repository path can have: the repository's and the package's."""
    return {p.name for base in (ROOT, PACKAGE) for p in base.iterdir()} - WRITTEN


def is_repo_path(text: str, names: set[str], starts: set[str]) -> bool | None:
    """Whether a backticked `text` names an existing repository file; None: not a repo path."""
    if PATTERN.search(text):
        return None
    parts = Path(text).parts
    if len(parts) == 1:
        if parts[0] in WRITTEN or parts[0] in OTHERS:
            return None
        if text.endswith("/") or text.endswith(SOURCES):
            return parts[0] in names
        return None
    if parts[0] == "labelrisk":
        parts = parts[1:]
    elif parts[0] not in starts or parts[:2] == ("tests", ".work"):
        return None
    return any(base.joinpath(*parts).exists() for base in BASES)


def test_the_checker_tells_paths_apart():
    names, starts = repository_names(), tops()
    assert is_repo_path("rules/fetch.smk", names, starts)
    assert is_repo_path("labels/mitigations/source.py", names, starts)
    assert is_repo_path("labelrisk/students/soft_targets.py", names, starts)
    assert is_repo_path("pypi.py", names, starts) and is_repo_path("mitigations/", names, starts)
    assert is_repo_path("rules/fetching.smk", names, starts) is False
    assert is_repo_path("fetching.py", names, starts) is False
    for other in ("results/tables/claims.md", "results/data/<dataset>/rows.json", "rows.json"):
        assert is_repo_path(other, names, starts) is None
    assert is_repo_path("prompts/movies.txt", names, starts) is None  # a user's own file


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_file_a_doc_names_exists(doc):
    names, starts = repository_names(), tops()
    text = doc.read_text()
    missing = [
        link
        for link in LINK.findall(text)
        if not re.match(r"[a-z]+:|#", link) and not (doc.parent / link.split("#")[0]).exists()
    ]
    missing += [t for t in TICKED.findall(text) if is_repo_path(t, names, starts) is False]
    assert missing == []
