"""Every shell command in README.md and docs/*.md runs as written: each fenced shell block's
commands (and each inline `snakemake ... --configfile ...` span) are extracted; Snakemake
commands are dry-run exactly as written (with `-n` put first) in a working directory holding
stand-ins for the files a user provides; the others are checked for the paths, modules and
markers they name, or are listed below with the reason they are not run."""

import re
import shlex
import shutil
import subprocess
import time

import pytest
from test_own_data import stand_in_csv

from conftest import KINDS, ROOT, SNAKEMAKE

pytestmark = pytest.mark.dag

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(?:bash|sh|shell)\n(.*?)^```", re.M | re.S)
INLINE = re.compile(r"`((?:\.venv/bin/)?snakemake [^`]*--configfile[^`]*)`")

# Programs documented but not run here, and why.
NOT_RUN = {
    # docs/paper-scale.md: the manifestos table is fetched and converted by hand (network); the
    # dry runs below use a stand-in of the converted file at the path these steps leave it.
    "curl": "downloads from GitHub",
    "sha256sum": "checks the file curl downloaded",
    "/tmp/rda/bin/pip": "installs into a throw-away environment (network)",
    "/tmp/rda/bin/python": "runs in that throw-away environment",
    "mkdir": "shell built-in step of the same recipe",
    "mv": "shell built-in step of the same recipe",
    # The key itself is the user's; the tests set a placeholder of that name.
    "export": "sets the user's API key",
}
# Shell substitutions a test machine cannot evaluate, replaced by a value of the same kind.
SUBSTITUTE = {
    "$(nvidia-smi -L | wc -l)": "2",
    # docs/calibration.md: the targets its loop echoes; one of them is enough for the plan.
    "$T": "results/annotations/nyt/qwen2.5-coder-0.5b/member0.json",
}
# Lines of multi-line shell constructs (a variable set from a loop, its `echo`): no program of
# their own; `bash -n` checks them with their block.
SHELL_GLUE = re.compile(r"^(\w+=|echo$)")


def shell_lines(block):
    """The block's command lines, without heredoc bodies (`<<'EOF'` ... `EOF`)."""
    end = None
    for i, line in enumerate(block.splitlines()):
        if end is not None:
            end = None if line.strip() == end else end
            continue
        heredoc = re.search(r"<<-?'?(\w+)'?", line)
        end = heredoc.group(1) if heredoc else None
        yield i, line


def commands():
    """(page:line, command) of every documented shell command, `&&` chains split. Each block
    is also checked whole by `bash -n`."""
    found = []
    for page in PAGES:
        text = page.read_text()
        for block in FENCE.finditer(text):
            first = text[: block.start()].count("\n") + 2
            syntax = subprocess.run(
                ["bash", "-n"], input=block.group(1), capture_output=True, text=True
            )
            assert syntax.returncode == 0, f"{page.name}:{first}: {syntax.stderr}"
            for i, line in shell_lines(block.group(1)):
                for old, new in SUBSTITUTE.items():
                    line = line.replace(old, new)
                for part in line.split(" && "):
                    words = shlex.split(part, comments=True)
                    if words and not SHELL_GLUE.match(words[0]):
                        found.append((f"{page.name}:{first + i}", words))
        for span in INLINE.finditer(text):
            line = text[: span.start()].count("\n") + 1
            found.append((f"{page.name}:{line}", shlex.split(span.group(1))))
    return found


def is_snakemake(words):
    return words[0] in ("snakemake", ".venv/bin/snakemake")


def workdir(tmp_path):
    """A working directory as a user's clone: the configs and profiles, the own-data example's
    CSV, the hand-saved manifestos table, and the overrides the pages call `my.yaml`."""
    for name in ("config", "config.yaml", "profiles"):
        (tmp_path / name).symlink_to(ROOT / name)
    stand_in_csv(tmp_path)
    saved = tmp_path / "resources/downloads/manifestos/cc_muller.csv"
    saved.parent.mkdir(parents=True)
    shutil.copy(ROOT / "tests/data/paper/cc_muller.csv", saved)
    for mine in ("my.yaml", "my_overrides.yaml"):
        (tmp_path / mine).write_text("grid: {seeds: [1, 2]}\n")
    return tmp_path


def dry_run_args(words):
    """The command's arguments, as written, after `-n`; `--report FILE` becomes the dry run of
    the same targets and configs (a report needs a finished run)."""
    args = list(words[1:])
    if "--report" in args:
        i = args.index("--report")
        del args[i : i + 2]
    if shutil.which("conda") is None and "--sdm" in args:  # planning needs no environment
        i = j = args.index("--sdm")
        while j + 1 < len(args) and args[j + 1] in ("conda", "apptainer", "env-modules"):
            j += 1
        del args[i : j + 1]
    return ["-n", *args]


def check_other(where, words):
    program = words[0]
    if program in NOT_RUN:
        return
    if program == "python3" and words[1:3] == ["-m", "venv"]:
        return
    if program.endswith("/pip"):
        assert (ROOT / words[words.index("-r") + 1]).is_file(), where
    elif program.endswith("/pytest"):
        expr = words[words.index("-m") + 1] if "-m" in words else ""
        named = set(re.findall(r"\w+", expr)) - {"and", "or", "not"}
        assert named <= KINDS, f"{where}: unknown marker in {expr!r}"
    elif program.endswith("/python"):  # a script, or `-`: one on stdin (heredoc)
        if words[1].startswith("results/"):  # written by a run: the product folder's predict.py
            assert words[1].endswith("/model/predict.py"), where
            return
        assert words[1] == "-" or (ROOT / words[1]).is_file(), f"{where}: no {words[1]}"
    else:
        raise AssertionError(f"{where}: {program} is neither run nor listed in NOT_RUN")


def test_every_documented_command_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "not-a-key")  # required by name, never sent here
    work = workdir(tmp_path)
    found = commands()
    assert len(found) > 20
    seen, failed, start = set(), [], time.monotonic()
    for where, words in found:
        if not is_snakemake(words):
            check_other(where, words)
            continue
        args = dry_run_args(words)
        if tuple(args) in seen:
            continue
        seen.add(tuple(args))
        cmd = [*SNAKEMAKE, "-s", str(ROOT / "Snakefile"), *args]
        res = subprocess.run(cmd, cwd=work, capture_output=True, text=True)
        if res.returncode != 0:
            failed.append(
                f"{where}: {shlex.join(words)}\n{(res.stdout + res.stderr).strip()[-600:]}"
            )
    print(f"{len(seen)} dry runs in {time.monotonic() - start:.1f} s")  # measured, not asserted
    assert not failed, "\n\n".join(failed)
