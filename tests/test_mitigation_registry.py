"""The mitigation registry: every method name parses to its family, and a mitigation
registered in one place reaches the grid, the label sets and the tables."""

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import ROOT
from labelrisk.artefacts.tables import display_name, paper_table, table2_sources
from labelrisk.grid import members_of, settings, sources
from labelrisk.labels.budget import gold_budget
from labelrisk.labels.label_sets import build
from labelrisk.labels.mitigations import (
    Mitigation,
    Naming,
    Source,
    lookup,
    register,
    registered,
    unregister,
)
from labelrisk.labels.mitigations.registry import alphas, relabel

pytestmark = pytest.mark.unit

# method -> family, parameters, members read, gold cost of 100 items, name in the tables
EXISTING = {
    "llm": ("llm", {}, "first", 0, "t"),
    "entropy25": ("entropy", {"alpha": 25.0}, "first", 25, "Entropy 25% (t)"),
    "entropy2.5": ("entropy", {"alpha": 2.5}, "first", 3, "Entropy 2.5% (t)"),
    "ensemble": ("ensemble", {}, "all", None, "Ensemble (t)"),
    "learned25": ("learned", {"alpha": 25.0}, "first", 25, "Learned filter 25% (t)"),
    "cleanlab_relabel": ("cleanlab", {"variant": "relabel"}, "first", None, "Cleanlab relabel (t)"),
    "cleanlab_drop": ("cleanlab", {"variant": "drop"}, "first", 0, "Cleanlab drop (t)"),
    "vote": ("vote", {}, "all", 0, "Vote (t)"),
    "soft": ("soft", {}, "first", 0, "Soft (t)"),
    "calibrated_prior": ("calibrated", {"kind": "prior"}, "first", 0, "Calibrated prior (t)"),
    "calibrated_cf": ("calibrated", {"kind": "cf"}, "first", 0, "Calibrated content-free (t)"),
    "calibrated_prior_entropy25": (
        "calibrated_entropy",
        {"kind": "prior", "alpha": 25.0},
        "first",
        25,
        "Calibrated prior + entropy 25% (t)",
    ),
    "calibrated_cf_entropy5": (
        "calibrated_entropy",
        {"kind": "cf", "alpha": 5.0},
        "first",
        5,
        "Calibrated content-free + entropy 5% (t)",
    ),
}


# the config values each family's label sets read (their params), beside the items
SETTINGS = {
    "learned": ("mitigations.learned_audit",),
    "cleanlab": ("mitigations.cleanlab_folds", "splits.seed"),
    "calibrated": ("calibration.prior_em",),
    "calibrated_entropy": ("calibration.prior_em",),
}


@pytest.mark.parametrize("method", EXISTING)
def test_every_method_parses_to_its_family(method):
    family, params, members, gold, name = EXISTING[method]
    src = Source.parse(f"t/{method}")
    assert (src.teacher, src.method, src.id) == ("t", method, f"t/{method}")
    assert src.mitigation.name == family and src.params == params
    assert src.members == members and src.gold(100) == gold
    assert src.display == display_name(src.id) == name
    assert src.needs_embeddings == (family in ("learned", "cleanlab"))
    assert src.reads_meta == (params.get("kind") == "cf")
    assert src.is_teacher_labels == (family == "llm") and not src.is_gold
    assert src.paper == {"llm": "llm", "entropy": "entropy", "ensemble": "ensemble"}.get(family)
    assert src.settings == SETTINGS.get(family, ())


def test_gold_and_unknown_methods():
    gold = Source.parse("gold")
    assert gold.teacher is None and gold.mitigation.name == "gold" and gold.members == "none"
    assert gold.gold(40) == 40 and gold.display == "Gold"
    assert gold.is_gold and not gold.is_teacher_labels and gold.paper == "gold"
    assert gold == Source.gold_labels() and Source.labels_of("t") == Source.parse("t/llm")
    for bad in ("entropy", "entropyx", "calibrated_em", "cleanlab_keep", "llm2"):
        with pytest.raises(ValueError, match="unknown label source method"):
            lookup(bad)


def config(members=3, **mit):
    return {
        "grid": {"teachers": ["a", "b"]},
        "annotation": {"members": members},
        "mitigations": {"teachers": ["a"], **mit},
    }


def test_every_method_the_grid_names_parses_back():
    cfg = config(
        entropy_alphas=[5, 25],
        ensemble=True,
        learned_alphas=[25],
        cleanlab=["relabel", "drop"],
        vote=True,
        soft=True,
        calibrated=["prior", "content_free"],
        calibrated_entropy_alphas=[25],
    )
    ids = [s.id for s in sources(cfg)]
    assert len(ids) == 3 + 2 + 1 + 1 + 2 + 1 + 1 + 4
    for sid in ids:
        assert Source.parse(sid).id == sid and Source.parse(sid).mitigation in registered()


def test_a_label_set_is_told_only_its_family_settings():
    cfg = config(learned_audit=4, cleanlab_folds=3, entropy_alphas=[25])
    cfg |= {"splits": {"seed": 7}, "calibration": {"prior_em": True}}
    assert settings(cfg, "a/entropy25") == {} == settings(cfg, "gold")
    assert settings(cfg, "a/learned10") == {"mitigations.learned_audit": 4}
    assert settings(cfg, "a/cleanlab_drop") == {
        "mitigations.cleanlab_folds": 3,
        "splits.seed": 7,
    }
    assert settings(cfg, "a/calibrated_cf_entropy5") == {"calibration.prior_em": True}


def test_every_mitigations_key_belongs_to_one_family():
    schema = yaml.safe_load((ROOT / "schemas" / "config.schema.yaml").read_text())
    keys = set(schema["properties"]["mitigations"]["properties"]) - {"teachers"}
    # a key turns one family on, or is a setting one family reads
    switches = [k for m in registered() for k in m.switch.keys]
    settings = {s.partition(".")[2] for m in registered() for s in m.inputs.settings}
    assert sorted(switches + sorted(settings & keys)) == sorted(keys)
    assert len(set(switches)) == len(switches)


def random_gold(out, ann, params, ctx):
    """Toy: gold on a random alpha% of the items, the teacher's label elsewhere."""
    k = gold_budget(len(out), params["alpha"])
    mask = np.zeros(len(out), dtype=bool)
    mask[np.random.default_rng(0).permutation(len(out))[:k]] = True
    pred = ann[0]["pred"].to_numpy()
    return relabel(out, pred, mask, pred)


@pytest.fixture
def toy():
    """A mitigation declared in one place, as a new module would; removed afterwards."""
    m = register(
        Mitigation(
            "random",
            # after entropy filtering (10), before the ensemble (20)
            Naming(
                r"random(?P<alpha>\d+(?:\.\d+)?)", lambda t, p: f"Random {p['alpha']:g}% ({t})", 15
            ),
            random_gold,
            switch=alphas("random_alphas", "random"),
            gold=lambda n, p: gold_budget(n, p["alpha"]),
        )
    )
    yield m
    unregister(m.name)


def test_a_registered_mitigation_reaches_the_grid(toy):
    cfg = config(entropy_alphas=[25], ensemble=True, random_alphas=[10])
    ids = [s.id for s in sources(cfg)]
    assert ids == ["gold", "a/llm", "b/llm", "a/entropy25", "a/random10", "a/ensemble"]
    assert Source.parse("a/random10").params == {"alpha": 10.0}
    assert members_of(config(random_alphas=[10]), "a") == [0]  # reads member 0 only
    assert "a/random10" not in [s.id for s in sources(config())]  # off unless configured


def test_a_registered_mitigation_builds_label_sets(toy):
    ids = [f"i{k}" for k in range(30)]
    pool = pd.DataFrame({"id": ids[:20], "text": ids[:20], "label": [0, 1] * 10})
    val = pd.DataFrame({"id": ids[20:], "text": ids[20:], "label": [1, 0] * 5})
    teacher = pd.DataFrame({"id": ids, "pred": 1, "entropy": 0.5}).set_index("id")
    sets = build("a/random10", pool, val, [teacher], [10, 20], [1])
    train = sets[(20, 1)][sets[(20, 1)].split == "train"]
    assert train.is_gold.sum() == gold_budget(20, 10) == 2
    assert (train.label == np.where(train.is_gold, train.gold, 1)).all()


def test_a_registered_mitigation_reaches_the_tables(toy):
    rows = []
    for src, f1 in [("gold", 0.9), ("t/llm", 0.6), ("t/random10", 0.7), ("u/llm", 0.5)]:
        rows.append(
            {"dataset": "d", "source": src, "size": 100, "acc_mean": f1, "f1_mean": f1}
            | {"alpha": 0.5, "acc_std": 0.0, "f1_std": 0.0, "p_uc": 1.0}
        )
    summary = pd.DataFrame(rows)
    assert table2_sources(summary, ["t"]) == ["gold", "t/llm", "t/random10"]
    table = paper_table(summary, ["d"], table2_sources(summary, ["t"]))
    assert "Random 10% (t)" in table.index.get_level_values("label")
