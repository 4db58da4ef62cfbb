"""Config validation with short messages that name the offending key, file or line."""

from __future__ import annotations

import re

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


_UNTYPED = object()


def _typed(text: str, types: list[str]):
    """`text` as the first of the schema `types` it reads as unambiguously, else _UNTYPED."""
    low = text.strip().lower()
    for t in types:
        if t == "integer" and re.fullmatch(r"[-+]?\d+", text.strip()):
            return int(text)
        if t == "number" and re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", text.strip()):
            return float(text) if re.search(r"[.eE]", text) else int(text)
        if t == "boolean" and low in ("true", "false"):
            return low == "true"
        if t == "null" and low in ("null", "~"):
            return None
    return _UNTYPED


def _type_errors(error):
    """A type error and those inside it (anyOf/oneOf branches)."""
    if error.validator == "type":
        yield error
    for sub in error.context or ():
        yield from _type_errors(sub)


def coerce_text(config: dict, validator) -> list[str]:
    """Values given as text where the schema wants a number, boolean or null (Snakemake's
    `--config training={epochs: 2}` passes nested values as text) set to that type in place,
    where the text reads as it unambiguously; returns the key paths changed."""
    changed = []
    for _ in range(100):  # one pass per nesting level is plenty
        fixes = {}
        for error in validator.iter_errors(config):
            for e in _type_errors(error):
                types = (
                    e.validator_value
                    if isinstance(e.validator_value, list)
                    else [e.validator_value]
                )
                value = _typed(e.instance, types) if isinstance(e.instance, str) else _UNTYPED
                if value is not _UNTYPED and e.absolute_path:
                    fixes[tuple(e.absolute_path)] = value
        if not fixes:
            return changed
        for path, value in fixes.items():
            parent = config
            for key in path[:-1]:
                parent = parent[key]
            parent[path[-1]] = value
            changed.append(".".join(map(str, path)))
    return changed


def _hint(e) -> str:
    """What a user can do about a schema error, beyond jsonschema's message."""
    hint = "".join(
        f" (`{old}` is now `{new}`)"
        for old, new in RENAMED.items()
        if e.validator == "additionalProperties" and repr(old) in e.message
    )
    if isinstance(e.instance, float) and "integer" in str(e.validator_value):
        hint += " (write a whole number without a decimal point)"
    if isinstance(e.instance, bool) and "string" in str(e.validator_value):
        hint += (
            " (YAML reads unquoted yes, no, on, off, true and false as booleans: quote it, "
            f'e.g. "{str(e.instance).lower()}" or "yes"/"no")'
        )
    if isinstance(e.instance, str) and e.validator == "type":
        hint += " (given as text; write it as the type above)"
    if e.validator in ("maxItems", "minItems"):
        side = "at most" if e.validator == "maxItems" else "at least"
        hint += f" ({side} {e.validator_value}; {len(e.instance)} given)"
    return hint


def validate(config: dict, schema_path: str) -> None:
    """Reject a config that breaks the schema, listing each error by its key path. Values
    given as text where the schema wants a number, boolean or null are typed first
    (`coerce_text`)."""
    with open(schema_path) as f:
        schema = yaml.safe_load(f)
    validator = _Validator(schema)
    coerce_text(config, validator)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        lines = []
        for e in errors:
            where = ".".join(map(str, e.absolute_path)) or "(top level)"
            lines.append(f"  {where}: {e.message}{_hint(e)}")
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
