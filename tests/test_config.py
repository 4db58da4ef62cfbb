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


@pytest.mark.unit
def test_default_config_is_valid(config):
    validate(config, SCHEMA)


@pytest.mark.unit
@pytest.mark.parametrize(
    "path, key",
    [
        (("grid",), "sizess"),
        (("annotation",), "member"),
        ((), "trainig"),
        (("datasets", "movies", "origin"), "sha"),
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


@pytest.mark.unit
def test_wrong_type_names_the_key(config):
    config["grid"]["seeds"] = ["one", 2]
    with pytest.raises(ConfigError, match=r"grid\.seeds\.0"):
        validate(config, SCHEMA)


@pytest.mark.unit
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


@pytest.mark.unit
def test_cross_checks_name_the_key(config):
    bad = filled(copy.deepcopy(config))
    bad["grid"]["sizes"] = [10, 10_000]
    bad["splits"]["pool_size"] = 5000
    bad["grid"]["teachers"] = ["nope"]
    with pytest.raises(ValueError) as err:
        check(bad)
    assert "grid.sizes: 10000" in str(err.value) and "grid.teachers: 'nope'" in str(err.value)


@pytest.mark.unit
def test_sources_of_the_default(config):
    ids = [s.id for s in sources(filled(config))]
    assert ids == [
        "gold",
        "qwen2.5-coder-1.5b/llm",
        "qwen2.5-coder-0.5b/llm",
        "qwen2.5-coder-1.5b/entropy25",
        "qwen2.5-coder-1.5b/calibrated_prior",
    ]
    # No source of the default reads more than one member: one annotation per teacher.
    assert members_of(filled(config), "qwen2.5-coder-1.5b") == [0]
    assert members_of(filled(config), "qwen2.5-coder-0.5b") == [0]


@pytest.mark.unit
def test_sources_of_the_extended_grid(config):
    with open(ROOT / "config" / "extended.yaml") as f:
        extended = yaml.safe_load(f)
    merged = copy.deepcopy(config)
    update_config(merged, extended)  # as --configfile merges it
    ids = [s.id for s in sources(filled(merged))]
    assert merged["grid"]["datasets"] == ["movies", "movies_skewed", "tweets", "nyt"]
    assert ids[3:] == [
        "qwen2.5-coder-1.5b/entropy5",
        "qwen2.5-coder-1.5b/entropy25",
        "qwen2.5-coder-1.5b/ensemble",
        "qwen2.5-coder-1.5b/learned25",
        "qwen2.5-coder-1.5b/cleanlab_relabel",
        "qwen2.5-coder-1.5b/vote",
        "qwen2.5-coder-1.5b/soft",
        "qwen2.5-coder-1.5b/calibrated_prior",
        "qwen2.5-coder-1.5b/calibrated_cf",
    ]


@pytest.mark.dag
def test_bad_config_fails_before_any_job(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("grid:\n  sizess: [1]\n")
    res = snakemake(
        "-n", "-d", str(tmp_path), "--configfile", str(ROOT / "config.yaml"), str(bad), check=False
    )
    assert res.returncode != 0
    assert "'sizess' was unexpected" in res.stdout + res.stderr
    assert not (tmp_path / "results").exists()


MALFORMED = "grid:\n  sizes: [8, 16\nsplits: {seed: 1}\n"


@pytest.mark.unit
def test_malformed_yaml_names_the_file_and_line(tmp_path):
    from labelrisk.config import check_yaml, main

    bad = tmp_path / "mine.yaml"
    bad.write_text(MALFORMED)
    with pytest.raises(ConfigError, match=r"mine\.yaml, line 3, column 7: not valid YAML"):
        check_yaml(str(bad))
    assert main([str(bad)]) == 1
    (tmp_path / "ok.yaml").write_text("grid: {sizes: [8]}\n")
    assert main([str(tmp_path / "ok.yaml")]) == 0


@pytest.mark.dag
def test_a_malformed_config_yaml_stops_snakemake_naming_file_and_line(tmp_path):
    """The workflow's own `configfile:` (config.yaml in the working directory)."""
    (tmp_path / "config.yaml").write_text(MALFORMED)
    res = snakemake("-n", "-d", str(tmp_path), check=False)
    assert res.returncode != 0
    assert "config.yaml, line 3, column 7: not valid YAML: expected ',' or ']'" in (
        res.stdout + res.stderr
    )


@pytest.mark.unit
def test_a_null_pool_is_each_datasets_largest_size():
    from labelrisk.grid import pool_size

    cfg = {
        "splits": {"pool_size": None},
        "grid": {"sizes": [100, 300], "dataset_sizes": {"tweets": [50, 150]}},
    }
    assert pool_size(cfg, "movies") == 300
    assert pool_size(cfg, "tweets") == 150
    cfg["splits"]["pool_size"] = 5000
    assert pool_size(cfg, "tweets") == 5000


@pytest.mark.unit
@pytest.mark.parametrize(
    "path, value, key",
    [
        (("grid", "sizes"), [8.0], r"grid\.sizes\.0: 8\.0 is not of type 'integer'"),
        (("grid", "seeds"), [1.0, 2], r"grid\.seeds\.0: 1\.0 is not of type 'integer'"),
        (("splits", "test_size"), 200.0, r"splits\.test_size: 200\.0 is not of type 'integer'"),
    ],
)
def test_floats_where_integers_belong_are_refused(config, path, value, key):
    """JSON Schema counts 8.0 as an integer; the grid would plan `n8.0_seed1`."""
    node = config
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value
    with pytest.raises(ConfigError, match=key + r" \(write a whole number"):
        validate(config, SCHEMA)


@pytest.mark.dag
def test_float_sizes_stop_snakemake_naming_the_key(tmp_path):
    (tmp_path / "f.yaml").write_text("grid: {sizes: [8.0], seeds: [1.0, 2]}\n")
    res = snakemake(
        "-n",
        "-d",
        str(tmp_path),
        "--configfile",
        str(ROOT / "config.yaml"),
        str(tmp_path / "f.yaml"),
        check=False,
    )
    out = res.stdout + res.stderr
    assert res.returncode != 0 and "grid.sizes.0: 8.0 is not of type 'integer'" in out
    assert "grid.seeds.0: 1.0 is not of type 'integer'" in out


DUPLICATE = "grid:\n  sizes: [8, 16]\nsplits: {seed: 1}\ngrid:\n  seeds: [1, 2]\n"


@pytest.mark.unit
def test_duplicate_keys_name_the_file_and_both_lines(tmp_path):
    from labelrisk.config import check_yaml, main

    bad = tmp_path / "mine.yaml"
    bad.write_text(DUPLICATE)
    message = (
        f"{bad}, line 4, column 1: duplicate key: 'grid' (first given on line 1); only one of "
        "them would be used"
    )
    with pytest.raises(ConfigError) as err:
        check_yaml(bad)
    assert str(err.value) == message
    assert main([str(bad)]) == 1
    (tmp_path / "nested.yaml").write_text("grid:\n  sizes: [8]\n  sizes: [16]\n")
    with pytest.raises(
        ConfigError, match=r"nested\.yaml, line 3, column 3: duplicate key: 'sizes'"
    ):
        check_yaml(tmp_path / "nested.yaml")


@pytest.mark.dag
@pytest.mark.parametrize("where", ["config.yaml", "overlay"])
def test_duplicate_keys_stop_snakemake_naming_file_and_line(tmp_path, where):
    """In the workflow's own config.yaml and in a --configfile overlay."""
    if where == "config.yaml":
        (tmp_path / "config.yaml").write_text((ROOT / "config.yaml").read_text() + DUPLICATE)
        args, bad = [], tmp_path / "config.yaml"
    else:
        bad = tmp_path / "mine.yaml"
        bad.write_text(DUPLICATE)
        args = ["--configfile", str(ROOT / "config.yaml"), str(bad)]
    res = snakemake("-n", "-d", str(tmp_path), *args, check=False)
    out = res.stdout + res.stderr
    assert res.returncode != 0 and "duplicate key: 'grid' (first given on line " in out
    assert (str(bad) if where == "overlay" else "config.yaml, line") in out


@pytest.mark.unit
def test_a_label_map_to_a_name_that_is_not_a_label_is_named(config):
    bad = filled(copy.deepcopy(config))
    bad["datasets"]["movies"]["origin"]["label_map"] = {"Pos": "positive", "Neg": "negtive"}
    with pytest.raises(ValueError) as err:
        check(bad)
    assert "datasets.movies.origin.label_map.Neg: 'negtive' is not one of its labels" in str(
        err.value
    )


@pytest.mark.unit
def test_missing_local_files_of_the_grid_are_named_at_parse_time(config, tmp_path):
    bad = filled(copy.deepcopy(config))
    bad["datasets"]["movies"]["origin"] = {"kind": "local", "path": str(tmp_path / "x.csv")}
    bad["teachers"]["qwen2.5-coder-0.5b"]["origin"] = {"kind": "local", "path": str(tmp_path)}
    bad["students"]["minilm-l6"]["origin"] = {"kind": "local", "path": str(tmp_path / "enc")}
    with pytest.raises(ValueError) as err:
        check(bad)
    assert f"datasets.movies.origin.path: {tmp_path / 'x.csv'} does not exist" in str(err.value)
    assert f"students.minilm-l6.origin.path: {tmp_path / 'enc'} does not exist" in str(err.value)
    assert "teachers.qwen2.5-coder-0.5b" not in str(err.value)  # the folder is there
    check(bad, disk=False)  # the same config, files aside


@pytest.mark.unit
def test_yaml_booleans_as_labels_are_refused_with_a_hint_to_quote(config):
    config["datasets"]["movies"]["labels"] = [False, True]  # `labels: [no, yes]`
    with pytest.raises(ConfigError) as err:
        validate(config, SCHEMA)
    assert "datasets.movies.labels.0: False is not of type 'string' (YAML reads unquoted" in str(
        err.value
    )
    assert 'quote it, e.g. "false" or "yes"/"no"' in str(err.value)


@pytest.mark.unit
def test_too_many_labels_names_the_limit(config):
    config["datasets"]["movies"]["labels"] = [f"l{i}" for i in range(12)]
    with pytest.raises(
        ConfigError, match=r"datasets\.movies\.labels: .* is too long \(at most 10; 12 given\)"
    ):
        validate(config, SCHEMA)


@pytest.mark.unit
def test_text_values_are_typed_by_the_schema_as_command_line_values_arrive(config):
    """`--config "training={epochs: 2}"` gives nested values as text (Snakemake's BaseLoader)."""
    config["training"] = {"epochs": "2", "learning_rate": "2.0e-4", "freeze_embeddings": "false"}
    config["grid"]["sizes"] = ["16", "32"]
    config["splits"]["pool_size"] = "null"
    validate(config, SCHEMA)
    assert config["training"] == {"epochs": 2, "learning_rate": 2.0e-4, "freeze_embeddings": False}
    assert config["grid"]["sizes"] == [16, 32] and config["splits"]["pool_size"] is None
    # Text that is not unambiguously the type is refused, naming the key.
    for key, bad in (("epochs", "two"), ("epochs", "1e3x"), ("train_batch_size", "16.0")):
        config["training"] = {key: bad}
        with pytest.raises(ConfigError, match=rf"training\.{key}: '{bad}' is not of type"):
            validate(config, SCHEMA)
    config["training"] = {"epochs": "2.5"}
    validate(config, SCHEMA)
    assert config["training"] == {"epochs": 2.5}
    # A string where the schema takes a string stays one.
    config["datasets"]["movies"]["task"] = "2"
    validate(config, SCHEMA)
    assert config["datasets"]["movies"]["task"] == "2"


@pytest.mark.dag
def test_nested_numbers_can_be_set_on_the_command_line(tmp_path):
    res = snakemake(
        "results/plan.md",
        "-n",
        "-d",
        str(tmp_path),
        "--config",
        "training={epochs: 2}",
        "grid={sizes: [16, 32]}",
        "--configfile",
        str(ROOT / "config.yaml"),
        check=False,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    res = snakemake(
        "results/plan.md",
        "-n",
        "-d",
        str(tmp_path),
        "--config",
        "training={epochs: two}",
        "--configfile",
        str(ROOT / "config.yaml"),
        check=False,
    )
    assert res.returncode != 0 and "training.epochs: 'two' is not of type 'number'" in (
        res.stdout + res.stderr
    )
