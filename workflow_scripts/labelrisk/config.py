"""Config validation with short messages that name the offending key."""

from __future__ import annotations

import jsonschema
import yaml


class ConfigError(ValueError):
    pass


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
            lines.append(f"  {where}: {e.message}")
        raise ConfigError("invalid config:\n" + "\n".join(lines))
