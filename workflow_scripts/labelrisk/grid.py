"""The experiment grid: label-source ids, and the cross-checks a JSON schema cannot express."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

GOLD = "gold"
# Calibration method (mitigations.calibrated) -> label-source method.
CALIBRATION_TAGS = {"prior": "calibrated_prior", "content_free": "calibrated_cf"}


@dataclass(frozen=True)
class Source:
    """How a training set is labelled: `gold`, or a teacher with a method."""

    teacher: str | None
    # gold | llm | entropy<alpha> | ensemble | learned<alpha> | cleanlab_relabel | cleanlab_drop
    # | vote | soft | calibrated_prior | calibrated_cf | calibrated_<prior|cf>_entropy<alpha>
    method: str

    @property
    def id(self) -> str:
        return GOLD if self.teacher is None else f"{self.teacher}/{self.method}"

    @property
    def entropy_alpha(self) -> float | None:
        return float(self.method[len("entropy") :]) if self.method.startswith("entropy") else None

    @property
    def calibration(self) -> str | None:
        """The gold-free calibration the source applies: `prior`, `content_free` or None."""
        for name, tag in CALIBRATION_TAGS.items():
            if self.method == tag or self.method.startswith(f"{tag}_entropy"):
                return name
        return None

    @property
    def calibrated_entropy_alpha(self) -> float | None:
        """Alpha of entropy filtering on top of calibrated labels (None without it)."""
        if self.calibration is None or "_entropy" not in self.method:
            return None
        return float(self.method.rpartition("_entropy")[2])

    @property
    def learned_alpha(self) -> float | None:
        return float(self.method[len("learned") :]) if self.method.startswith("learned") else None

    @property
    def members(self) -> str:
        """Which ensemble members the source reads: `all` or `first`."""
        return "all" if self.method in ("ensemble", "vote") else "first"

    @property
    def needs_embeddings(self) -> bool:
        return self.method.startswith(("learned", "cleanlab"))

    @classmethod
    def parse(cls, sid: str) -> Source:
        if sid == GOLD:
            return cls(None, GOLD)
        teacher, _, method = sid.rpartition("/")
        return cls(teacher, method)


def alpha_tag(alpha: float, method: str = "entropy") -> str:
    return f"{method}{alpha:g}"


def sources(config: dict) -> list[Source]:
    """Every label source of the grid, in the order tables and figures show them."""
    grid, mit = config["grid"], config.get("mitigations", {})
    out = [Source(None, GOLD)] + [Source(t, "llm") for t in grid["teachers"]]
    for t in mit.get("teachers") or grid["teachers"]:
        out += [Source(t, alpha_tag(a)) for a in mit.get("entropy_alphas", [])]
        if mit.get("ensemble") and config["annotation"]["members"] > 1:
            out.append(Source(t, "ensemble"))
        out += [Source(t, alpha_tag(a, "learned")) for a in mit.get("learned_alphas", [])]
        out += [Source(t, f"cleanlab_{v}") for v in mit.get("cleanlab", [])]
        if mit.get("vote") and config["annotation"]["members"] > 1:
            out.append(Source(t, "vote"))
        if mit.get("soft"):
            out.append(Source(t, "soft"))
        for c in mit.get("calibrated", []):
            tag = CALIBRATION_TAGS[c]
            out.append(Source(t, tag))
            alphas = mit.get("calibrated_entropy_alphas", [])
            out += [Source(t, alpha_tag(a, f"{tag}_entropy")) for a in alphas]
    return out


def annotation_params(config: dict) -> dict:
    """What an annotate job is told: `annotation`, plus the content-free inputs it scores when
    content-free calibration is on (so turning it off or on re-runs only what it changes)."""
    out = dict(config["annotation"])
    if "content_free" in config["mitigations"].get("calibrated", []):
        out["content_free_inputs"] = list(config["calibration"]["content_free_inputs"])
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


def size_groups(config: dict) -> list[tuple[list[str], list[int]]]:
    """Grid datasets grouped by their list of sizes, the group of `grid.sizes` first."""
    groups: dict[tuple[int, ...], list[str]] = {tuple(config["grid"]["sizes"]): []}
    for d in config["grid"]["datasets"]:
        groups.setdefault(tuple(sizes_for(config, d)), []).append(d)
    return [(ds, list(sizes)) for sizes, ds in groups.items() if ds]


def pool_size(config: dict, dataset: str) -> int:
    """The pool of one dataset: `splits.pool_size`, or its largest training size when null."""
    return config["splits"]["pool_size"] or max(sizes_for(config, dataset))


def uses_hub(config: dict) -> bool:
    """Whether a dataset, teacher or the student of the grid comes from the Hugging Face Hub."""
    grid = config["grid"]
    used = [config["datasets"][d] for d in grid["datasets"] if d in config["datasets"]]
    used += [config["teachers"][t] for t in grid["teachers"] if t in config["teachers"]]
    used += [config["students"][grid["student"]]] if grid["student"] in config["students"] else []
    return any(e["source"]["kind"] == "hf" for e in used)


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
    mit = config["mitigations"]
    if mit.get("calibrated_entropy_alphas") and not mit.get("calibrated"):
        errors.append("mitigations.calibrated_entropy_alphas needs mitigations.calibrated")
    for key in ("ensemble", "vote"):
        if config["mitigations"][key] and config["annotation"]["members"] < 2:
            errors.append(f"mitigations.{key} needs annotation.members >= 2")
    for name, ds in config["datasets"].items():
        src = ds["source"]
        if src.get("format") == "vader_tsv" and len(ds["labels"]) not in (2, 3):
            errors.append(f"datasets.{name}.labels: vader_tsv needs 2 or 3 labels")
        if src.get("format") == "vader_tsv" and len(ds["labels"]) == 3 and not src["neutral_band"]:
            errors.append(f"datasets.{name}.source.neutral_band: must be > 0 with 3 labels")
        for label in ds.get("class_keep", {}):
            if label not in ds["labels"]:
                errors.append(f"datasets.{name}.class_keep.{label}: not one of its labels")
    for name, t in config["teachers"].items():
        if t["source"]["kind"] == "pypi" and not t["source"]["parts"]:
            errors.append(f"teachers.{name}.source.parts: empty")
    if errors:
        raise ValueError("invalid config:\n  " + "\n  ".join(errors))


def gold_budget(n: int, alpha: float) -> int:
    """Items whose label is replaced at alpha percent of n (rounded up, so alpha > 0 costs >= 1)."""
    return math.ceil(n * alpha / 100.0)


def local_inputs(source: dict) -> list[str]:
    """The files on disk a `local` source is read from, to be inputs of the rule that reads it.

    A table is its own path; a model folder is every file in it (hidden ones aside), so editing,
    adding or removing a file re-runs what depends on it. A path that does not exist is returned
    as it is, so Snakemake reports it as a missing input before any job runs. Other kinds of
    sources have no local inputs.
    """
    if source.get("kind") != "local":
        return []
    root = Path(source["path"])
    if not root.is_dir():
        return [str(root)]
    files = [
        p
        for p in root.rglob("*")
        if not any(part.startswith(".") for part in p.relative_to(root).parts) and not p.is_dir()
    ]
    return sorted(str(p) for p in files) or [str(root)]
