"""Parse-time checks of what the grid reads from disk and of values a schema cannot relate.

They run when the workflow is parsed, before any job is planned: a missing `local` file must
stop the run there, because Snakemake, when it cannot plan the job that would rebuild an
existing file, uses the old file instead (and would rebuild the tables from old results).
"""

from __future__ import annotations

from pathlib import Path


def local_path_errors(config: dict) -> list[str]:
    """A `local` dataset of the grid whose file, or a `local` teacher or student of the grid
    whose folder, is not there (paths relative to the working directory)."""
    grid = config["grid"]
    used = [("datasets", d) for d in grid["datasets"]]
    used += [("teachers", t) for t in grid["teachers"]] + [("students", grid["student"])]
    errors = []
    for kind, name in used:
        origin = config[kind].get(name, {}).get("origin", {})
        if origin.get("kind") != "local":
            continue
        path = Path(origin["path"])
        key = f"{kind}.{name}.origin.path"
        if kind == "datasets" and not path.is_file():
            why = "is a folder, not a file" if path.is_dir() else "does not exist"
            errors.append(f"{key}: {origin['path']} {why} (save the table there, or fix the path)")
        elif kind != "datasets" and not path.is_dir():
            why = "is a file, not a model folder" if path.exists() else "does not exist"
            errors.append(f"{key}: {origin['path']} {why}")
    return errors


def label_map_errors(config: dict) -> list[str]:
    """`label_map` values that are not one of the dataset's labels."""
    errors = []
    for name, ds in config["datasets"].items():
        for value, label in (ds["origin"].get("label_map") or {}).items():
            if label not in ds["labels"]:
                errors.append(
                    f"datasets.{name}.origin.label_map.{value}: {label!r} is not one of its "
                    f"labels {ds['labels']}"
                )
    return errors


def config_errors(config: dict, disk: bool = True) -> list[str]:
    from labelrisk.teachers.config_checks import server_teacher_errors

    errors = (local_path_errors(config) if disk else []) + label_map_errors(config)
    return errors + server_teacher_errors(config)
