"""Config validation with short messages that name the offending key, file or line."""

from __future__ import annotations

import jsonschema
import yaml


class ConfigError(ValueError):
    pass


# Keys renamed since earlier releases: a config that still uses one is told the new name.
RENAMED = {
    "source": "origin",
    "analysis": "claims` and `evaluation",
    "collapse_share": "collapse_margin` and `collapse_recall",
}


def _is_integer(checker, value) -> bool:
    # JSON Schema counts 8.0 as an integer; sizes and seeds become paths (`n8.0_seed1`) and
    # indices, so only a whole number written without a decimal point is one.
    return isinstance(value, int) and not isinstance(value, bool)


_Validator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer),
)


def validate(config: dict, schema_path: str) -> None:
    """Reject a config that breaks the schema, listing each error by its key path."""
    with open(schema_path) as f:
        schema = yaml.safe_load(f)
    errors = sorted(
        _Validator(schema).iter_errors(config), key=lambda e: list(map(str, e.absolute_path))
    )
    if errors:
        lines = []
        for e in errors:
            where = ".".join(map(str, e.absolute_path)) or "(top level)"
            hint = "".join(
                f" (`{old}` is now `{new}`)"
                for old, new in RENAMED.items()
                if e.validator == "additionalProperties" and repr(old) in e.message
            )
            if isinstance(e.instance, float) and "integer" in str(e.validator_value):
                hint += " (write a whole number without a decimal point)"
            lines.append(f"  {where}: {e.message}{hint}")
        raise ConfigError("invalid config:\n" + "\n".join(lines))


class _UniqueKeyLoader(yaml.SafeLoader):
    """A SafeLoader that refuses a key given twice in one mapping (PyYAML keeps the last)."""

    def construct_mapping(self, node, deep=False):
        seen: dict = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                first = seen[key]
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"duplicate key {key!r} (first given on line {first.line + 1}); "
                    "only one of them would be used",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep)


def load_yaml(path) -> object:
    """A config file's YAML, refusing duplicate keys; errors name the file, line and column."""
    try:
        with open(path, encoding="utf-8") as f:
            return yaml.load(f, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e)
        kind = "duplicate key" if problem.startswith("duplicate key") else "not valid YAML"
        if kind == "duplicate key":
            problem = problem.removeprefix("duplicate key ")
        raise ConfigError(f"{path}{where}: {kind}: {problem}") from None
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from None


def check_yaml(path) -> None:
    """Raise a ConfigError naming the file, line and column when `path` is not valid YAML or
    gives a key twice in one mapping. Snakemake's own message for a malformed config file
    names neither, and for a repeated key it silently keeps the last."""
    load_yaml(path)


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
