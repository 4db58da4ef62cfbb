import copy

import pytest
import yaml
from snakemake.utils import update_config

from conftest import ROOT, snakemake
from labelrisk.config import ConfigError, validate
from labelrisk.grid import check, members_of, sources

SCHEMA = str(ROOT / "schemas" / "config.schema.yaml")


@pytest.fixture
def config():
    with open(ROOT / "config.yaml") as f:
        return yaml.safe_load(f)


def test_default_config_is_valid(config):
    validate(config, SCHEMA)


@pytest.mark.parametrize(
    "path, key",
    [
        (("grid",), "sizess"),
        (("annotation",), "member"),
        ((), "trainig"),
        (("datasets", "movies", "source"), "sha"),
        (("teachers", "smollm2-135m"), "dtyp"),
    ],
)
def test_misspelled_key_is_named(config, path, key):
    node = config
    for p in path:
        node = node[p]
    node[key] = 1
    with pytest.raises(ConfigError, match=f"'{key}' was unexpected"):
        validate(config, SCHEMA)


def test_wrong_type_names_the_key(config):
    config["grid"]["seeds"] = ["one", 2]
    with pytest.raises(ConfigError, match=r"grid\.seeds\.0"):
        validate(config, SCHEMA)


def test_every_key_has_description_and_default():
    with open(SCHEMA) as f:
        schema = yaml.safe_load(f)
    missing = []

    def walk(node, where):
        if isinstance(node, dict):
            if node.get("additionalProperties") is not False and "properties" in node:
                missing.append(f"{where}: additionalProperties is not false")
            for name, sub in node.get("properties", {}).items():
                if "$ref" not in sub and not ("description" in sub and "default" in sub):
                    missing.append(f"{where}.{name}")
                walk(sub, f"{where}.{name}")
            for key in ("additionalProperties", "items"):
                if isinstance(node.get(key), dict):
                    walk(node[key], f"{where}[{key}]")
            for name, sub in node.get("$defs", {}).items():
                walk(sub, f"$defs.{name}")

    walk(schema, "")
    assert not missing, missing


def filled(config):
    from snakemake.utils import validate as fill

    fill(config, SCHEMA)
    return config


def test_cross_checks_name_the_key(config):
    bad = filled(copy.deepcopy(config))
    bad["grid"]["sizes"] = [10, 10_000]
    bad["grid"]["teachers"] = ["nope"]
    with pytest.raises(ValueError) as err:
        check(bad)
    assert "grid.sizes: 10000" in str(err.value) and "grid.teachers: 'nope'" in str(err.value)


def test_sources_of_the_default(config):
    ids = [s.id for s in sources(filled(config))]
    assert ids == [
        "gold",
        "qwen2.5-coder-1.5b/llm",
        "qwen2.5-coder-0.5b/llm",
        "qwen2.5-coder-1.5b/entropy25",
        "qwen2.5-coder-1.5b/ensemble",
    ]
    # Only the mitigated (strong) teacher needs more than one annotation member.
    assert members_of(filled(config), "qwen2.5-coder-1.5b") == [0, 1, 2]
    assert members_of(filled(config), "qwen2.5-coder-0.5b") == [0]


def test_sources_of_the_extended_grid(config):
    with open(ROOT / "config" / "extended.yaml") as f:
        extended = yaml.safe_load(f)
    merged = copy.deepcopy(config)
    update_config(merged, extended)  # as --configfile merges it
    ids = [s.id for s in sources(filled(merged))]
    assert merged["grid"]["datasets"] == ["movies", "tweets", "nyt"]
    assert ids[3:] == [
        "qwen2.5-coder-1.5b/entropy5",
        "qwen2.5-coder-1.5b/entropy25",
        "qwen2.5-coder-1.5b/ensemble",
        "qwen2.5-coder-1.5b/learned25",
        "qwen2.5-coder-1.5b/cleanlab_relabel",
        "qwen2.5-coder-1.5b/vote",
        "qwen2.5-coder-1.5b/soft",
    ]


def test_bad_config_fails_before_any_job(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("grid:\n  sizess: [1]\n")
    res = snakemake(
        "-n", "-d", str(tmp_path), "--configfile", str(ROOT / "config.yaml"), str(bad), check=False
    )
    assert res.returncode != 0
    assert "'sizess' was unexpected" in res.stdout + res.stderr
    assert not (tmp_path / "results").exists()
