"""A change re-runs only what it changes.

On the tiny grid after a finished run, a dry run after each change plans exactly the jobs of
what the change adds or alters plus the artefacts that read them. The finished run is made
without computing anything: every output of the plan is created empty and `snakemake --touch`
records it as made by its rule (params and code included), as a real run would. The workflow
runs from a copy, so that a case may edit its files.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from conftest import ROOT

pytestmark = pytest.mark.dag

TEACHER, COPY = "smollm2-135m", "smollm2-copy"
DATASETS, SEEDS, SIZES = ["movies", "nyt"], [1, 2], [16, 32]
# The tiny grid with gold, the teacher's labels and entropy filtering only, so that each case
# can turn one more family on.
BASE = {
    "mitigations": {
        "entropy_alphas": [25],
        "ensemble": False,
        "learned_alphas": [],
        "cleanlab": [],
        "vote": False,
        "soft": False,
        "calibrated": [],
        "calibrated_entropy_alphas": [],
    },
}
BASE_SOURCES = ["gold", f"{TEACHER}/llm", f"{TEACHER}/entropy25"]
WORKFLOW = ["Snakefile", "rules", "workflow_scripts", "schemas", "report", "envs", "profiles"]
SUMMARY_READERS = {"summarise", "table1", "table2", "figure2", "budget_figure", "minority"}
SUMMARY_READERS |= {"claims", "paper_vs_run", "risk", "risk_figure"}
TEACHER_READERS = {
    "teacher_summary",
    "teacher_diagnostics",
    "minority",
    "claims",
    "risk",
    "risk_figure",
}


def job(rule: str, **wildcards) -> str:
    """One planned job, as `rule(key=value, ...)` with its wildcards in name order."""
    return f"{rule}({', '.join(f'{k}={v}' for k, v in sorted(wildcards.items()))})"


def artefacts(*rules: str) -> set[str]:
    """Jobs of rules without wildcards; `all` is planned whenever anything is."""
    return {job(r) for r in (*rules, "all")}


def students(sources, by="seed", seeds=SEEDS, sizes=SIZES, datasets=DATASETS) -> set[str]:
    """Label-set and training jobs of `sources` over `seeds` (and, by run, `sizes`)."""
    keys = [{"seed": s} for s in seeds] if by == "seed" else []
    keys += [{"size": n, "seed": s} for s in seeds for n in sizes] if by == "run" else []
    return {
        job(rule, dataset=d, source=src, **key)
        for rule in ("label_sets", "train_student")
        for d in datasets
        for src in sources
        for key in keys
    }


def evaluated(sources, datasets=DATASETS) -> set[str]:
    return {job("evaluate_source", dataset=d, source=s) for d in datasets for s in sources}


def new_sources(*sources) -> set[str]:
    """A new label source: its label sets, students and metrics, and every student artefact."""
    return students(sources) | evaluated(sources) | artefacts(*SUMMARY_READERS, "dump_config")


def teacher_rows(*extra: str, teacher=TEACHER) -> set[str]:
    """A teacher's quality tables re-made (new members or calibrations) and their readers."""
    return {job("teacher_quality", dataset=d, teacher=teacher) for d in DATASETS} | artefacts(
        *TEACHER_READERS, *extra
    )


def members(member: int, teacher=TEACHER) -> set[str]:
    return {job("annotate", dataset=d, teacher=teacher, member=member) for d in DATASETS}


def embeddings() -> set[str]:
    return {job("embed", dataset=d, student="minilm-l6") for d in DATASETS}


@dataclass
class Case:
    config: dict = field(default_factory=dict)
    expected: set[str] = field(default_factory=set)
    by: str = "seed"  # training.runs_per_job of the finished run
    edit: str | None = None  # a workflow file the case appends a comment to


def _sources(*methods) -> list[str]:
    return [f"{TEACHER}/{m}" for m in methods]


CASES = {
    "ensemble on": Case(
        {"mitigations": {"ensemble": True}},
        new_sources(*_sources("ensemble")) | members(1) | teacher_rows(),
    ),
    "vote on": Case(
        {"mitigations": {"vote": True}},
        new_sources(*_sources("vote")) | members(1) | teacher_rows(),
    ),
    "learned filter on": Case(
        {"mitigations": {"learned_alphas": [25]}},
        new_sources(*_sources("learned25")) | embeddings(),
    ),
    "cleanlab on": Case(
        {"mitigations": {"cleanlab": ["relabel", "drop"]}},
        new_sources(*_sources("cleanlab_relabel", "cleanlab_drop")) | embeddings(),
    ),
    "soft targets on": Case(
        {"mitigations": {"soft": True}},
        new_sources(*_sources("soft")),
    ),
    "prior calibration on": Case(
        {"mitigations": {"calibrated": ["prior"]}},
        new_sources(*_sources("calibrated_prior")) | teacher_rows(),
    ),
    "calibrated entropy on": Case(
        {"mitigations": {"calibrated": ["prior"], "calibrated_entropy_alphas": [25]}},
        new_sources(*_sources("calibrated_prior", "calibrated_prior_entropy25")) | teacher_rows(),
    ),
    "a new entropy alpha": Case(
        {"mitigations": {"entropy_alphas": [25, 10]}},
        new_sources(*_sources("entropy10")),
    ),
    "a new teacher": Case(
        {
            "grid": {"teachers": [TEACHER, COPY]},
            "teachers": {
                COPY: yaml.safe_load((ROOT / "config.yaml").read_text())["teachers"][TEACHER]
            },
        },
        new_sources(f"{COPY}/llm")
        | members(0, teacher=COPY)
        | teacher_rows(teacher=COPY)
        | {job("teacher_gate", dataset=d, teacher=COPY) for d in ("movies", "nyt")}
        | {job("fetch_teacher", teacher=COPY), job("gate_summary")},
    ),
    "a new seed": Case(
        {"grid": {"seeds": [*SEEDS, 3]}},
        students(BASE_SOURCES, seeds=[3])
        | evaluated(BASE_SOURCES)
        | artefacts(*SUMMARY_READERS, "dump_config"),
    ),
    "a new size, one job per run": Case(
        {"grid": {"sizes": [16, 24, 32]}},
        students(BASE_SOURCES, by="run", sizes=[24])
        | evaluated(BASE_SOURCES)
        | artefacts(*SUMMARY_READERS, "dump_config"),
        by="run",
    ),
    # The trade-off of one job per seed: a new size re-trains every seed of the dataset.
    "a new size, one job per seed": Case(
        {"grid": {"sizes": [16, 24, 32]}},
        students(BASE_SOURCES)
        | evaluated(BASE_SOURCES)
        | artefacts(*SUMMARY_READERS, "dump_config"),
    ),
    "content-free calibration on": Case(
        {"mitigations": {"calibrated": ["content_free"]}},
        new_sources(*_sources("calibrated_cf"))
        | teacher_rows()
        | {job("content_free", dataset=d, member=0, teacher=TEACHER) for d in DATASETS},
    ),
    "figure 2's script edited": Case(
        edit="workflow_scripts/figure2.py", expected=artefacts("figure2")
    ),
    "the learning rate changed": Case(
        {"training": {"learning_rate": 2.0e-4}},
        {
            job("train_student", dataset=d, source=s, seed=n)
            for d in DATASETS
            for s in BASE_SOURCES
            for n in SEEDS
        }
        | evaluated(BASE_SOURCES)
        | artefacts(*SUMMARY_READERS, "dump_config"),
    ),
    # The prompt is the teacher's: no re-split, no gold student re-trained.
    "a dataset's task edited": Case(
        {"datasets": {"movies": {"task": "Sort movie reviews into positive and negative."}}},
        {job("annotate", dataset="movies", teacher=TEACHER, member=0)}
        | {job("teacher_quality", dataset="movies", teacher=TEACHER)}
        | {job("teacher_gate", dataset="movies", teacher=TEACHER), job("gate_summary")}
        | students(BASE_SOURCES[1:], datasets=["movies"])
        | evaluated(BASE_SOURCES[1:], datasets=["movies"])
        | artefacts(*SUMMARY_READERS, *TEACHER_READERS, "dump_config"),
    ),
    "keeping models": Case({"training": {"keep_models": True}}, artefacts("dump_config")),
    "a calibration setting no source reads": Case(
        {"calibration": {"prior_em": False}}, artefacts("dump_config")
    ),
}


def planned(dry_run: str) -> dict[str, list[str]]:
    """Every job of a dry run (`job(...)`) with its output files."""
    jobs = {}
    for rule, body in re.findall(r"^(?:local)?rule (\w+):\n((?:    .*\n)*)", dry_run, re.M):
        fields = dict(re.findall(r"^    (\w+): (.*)$", body, re.M))
        wildcards = dict(w.split("=", 1) for w in fields.get("wildcards", "").split(", ") if w)
        jobs[job(rule, **wildcards)] = fields.get("output", "").split(", ")
    return jobs


class Workflow:
    """A copy of the workflow with a working directory and the tiny grid's config files."""

    def __init__(self, tmp: Path, by: str, source: Path = ROOT):
        self.root = tmp / "workflow"
        self.root.mkdir()
        for name in WORKFLOW:
            src = source / name
            if src.is_dir():
                shutil.copytree(src, self.root / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy(src, self.root / name)
        self.work = tmp / "work"
        for folder in (f"teachers/{TEACHER}", "students/minilm-l6"):
            (self.work / "resources" / folder).mkdir(parents=True)
            (self.work / "resources" / folder / "config.json").write_text("{}")
        base = BASE | {"training": {"runs_per_job": by}}
        self.configs = [source / "config.yaml", source / "tests/data/tiny_config.yaml"]
        self.configs.append(self._write("base.yaml", base))

    def _write(self, name: str, data: dict) -> Path:
        path = self.root / name
        path.write_text(yaml.safe_dump(data))
        return path

    def snakemake(self, *args: str, extra: dict | None = None) -> str:
        configs = [*self.configs, *([self._write("case.yaml", extra)] if extra else [])]
        cmd = [sys.executable, "-m", "snakemake", "-s", str(self.root / "Snakefile")]
        cmd += ["-d", str(self.work), *args, "--configfile", *map(str, configs)]
        res = subprocess.run(cmd, cwd=self.root, capture_output=True, text=True)
        if res.returncode:
            raise AssertionError(f"{' '.join(cmd)}:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}")
        return res.stdout

    def finish(self) -> None:
        """Every output of the plan created empty, then touched in the order of the plan and
        recorded as made by its rule (`--forceall`: a job whose outputs exist is otherwise
        skipped, its params and code never recorded)."""
        for outputs in planned(self.snakemake("-n")).values():
            for out in filter(None, outputs):
                path = self.work / out
                path.parent.mkdir(parents=True, exist_ok=True)
                path.touch()
        self.snakemake("--touch", "--forceall", "--cores", "1")

    def plan(self, change: Case) -> set[str]:
        if not change.edit:
            return set(planned(self.snakemake("-n", extra=change.config)))
        # A script's mtime (not its text) tells Snakemake it changed: both are put back.
        script = self.root / change.edit
        original, stat = script.read_text(), script.stat()
        try:
            script.write_text(original + "\n# edited\n")
            return set(planned(self.snakemake("-n", extra=change.config)))
        finally:
            script.write_text(original)
            os.utime(script, ns=(stat.st_atime_ns, stat.st_mtime_ns))


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """The finished tiny run of each `training.runs_per_job` the cases need, made on demand."""
    runs: dict[str, Workflow] = {}

    def get(by: str) -> Workflow:
        if by not in runs:
            runs[by] = Workflow(tmp_path_factory.mktemp(f"finished-{by}"), by)
            runs[by].finish()
            assert not planned(runs[by].snakemake("-n")), "the finished run plans jobs"
        return runs[by]

    return get


@pytest.mark.parametrize(
    "name",
    list(CASES),
)
def test_a_change_plans_its_own_jobs_and_their_readers(finished, name):
    case = CASES[name]
    plan = finished(case.by).plan(case)
    assert (sorted(plan - case.expected), sorted(case.expected - plan)) == ([], []), (
        "unexpected, missing"
    )


def rule_params() -> dict[str, tuple[set[str], str]]:
    """{rule: (its params' names, its script's text)} of every rule with params and a script
    (a rule made by `use rule ... with:` counts as its own)."""
    out = {}
    for smk in sorted((ROOT / "rules").glob("*.smk")):
        blocks = re.split(r"^(?=rule |use rule )", smk.read_text(), flags=re.M)
        for block in blocks:
            head = re.match(r"(?:use )?rule (\w+)(?: as (\w+))?", block)
            params = re.search(r"^    params:\n((?:        .*\n)+)", block, re.M)
            script = re.search(r'^    script:\n        "\.\./(.+)"', block, re.M)
            if head and params and script:
                names = set(re.findall(r"^        (\w+)=", params.group(1), re.M))
                out[head.group(2) or head.group(1)] = (names, (ROOT / script.group(1)).read_text())
    return out


def unread_params(names: set[str], script: str) -> list[str] | None:
    """The params a script never reads (as `snakemake.params.x`, through an alias `p.x`, or
    by its quoted name); None where the script hands the `snakemake` object to a function,
    which this cannot follow."""
    if re.search(r"\(snakemake\b(?!\.)", script):
        return None
    holders = {"params"}
    # `p = snakemake.params`, `inp, p, wc = snakemake.input, snakemake.params, ...`
    for names_, values in re.findall(
        r"^([\w, ]+) = (snakemake\.\w+(?:, snakemake\.\w+)*)$", script, re.M
    ):
        pairs = zip(names_.split(","), values.split(","), strict=False)
        holders |= {n.strip() for n, v in pairs if v.strip() == "snakemake.params"}
    read = "|".join(rf"\b{h}\.{{name}}\b" for h in holders) + r'|"{name}"'
    return sorted(n for n in names if not re.search(read.format(name=n), script))


def test_every_rule_param_is_read_by_its_script():
    """A param a script does not read re-runs the rule (and all after it) when it changes."""
    unread = {rule: unread_params(*given) for rule, given in rule_params().items()}
    assert {rule: names for rule, names in unread.items() if names} == {}
    # The check reaches the data rules (and most others).
    assert {"fetch_dataset", "split_dataset"} <= {r for r, n in unread.items() if n == []}


def test_fetch_dataset_gets_only_the_dataset_keys_its_script_reads():
    names, script = rule_params()["fetch_dataset"]
    read = set(re.findall(r"\bds\[\"(\w+)\"\]", script))
    smk = (ROOT / "rules" / "common.smk").read_text()
    given = re.search(r"for k in \(([^)]*)\)", smk).group(1)
    assert (
        set(re.findall(r"\"(\w+)\"", given))
        == read
        == {
            "labels",
            "origin",
            "drop_duplicate_texts",
            "class_keep",
        }
    )
