"""Config validation with short messages that name the offending key."""

from __future__ import annotations

import jsonschema
import yaml


class ConfigError(ValueError):
    pass


# Keys renamed since earlier releases: a config that still uses one is told the new name.
RENAMED = {"source": "origin", "analysis": "claims` and `evaluation"}


def validate(config: dict, schema_path: str) -> None:
    """Reject a config that breaks the schema, listing each error by its key path."""
    with open(schema_path) as f:
        schema = yaml.safe_load(f)
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        lines = []
        for e in errors:
            where = ".".join(map(str, e.absolute_path)) or "(top level)"
            hint = "".join(
                f" (`{old}` is now `{new}`)"
                for old, new in RENAMED.items()
                if e.validator == "additionalProperties" and repr(old) in e.message
            )
            lines.append(f"  {where}: {e.message}{hint}")
        raise ConfigError("invalid config:\n" + "\n".join(lines))


def check_yaml(path: str) -> None:
    """Raise a ConfigError naming the file, line and column when `path` is not valid YAML.

    Snakemake's own message for a malformed config file names neither.
    """
    try:
        with open(path, encoding="utf-8") as f:
            yaml.safe_load(f)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e)
        raise ConfigError(f"{path}{where}: not valid YAML: {problem}") from None
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from None


def main(argv: list[str] | None = None) -> int:
    """`python -m labelrisk.config FILE...`: check config files' YAML, naming file and line."""
    import sys

    bad = 0
    for path in argv if argv is not None else sys.argv[1:]:
        try:
            check_yaml(path)
        except (ConfigError, OSError) as e:
            print(e, file=sys.stderr)
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
