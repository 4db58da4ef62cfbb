"""The real workflow end to end on a tiny grid: real teacher, real student, a few dozen items."""

import re

import pandas as pd
import pytest

from conftest import ROOT, WORK, snakemake

pytestmark = pytest.mark.e2e

TINY = ROOT / "tests" / "data" / "tiny_config.yaml"


@pytest.fixture(scope="module")
def run(models, tmp_path_factory):
    work = tmp_path_factory.mktemp("tiny")
    (work / "resources").symlink_to(WORK / "resources", target_is_directory=True)
    args = ["-d", str(work), "--configfile", str(ROOT / "config.yaml"), str(TINY)]
    snakemake("--cores", "2", *args)
    return work, args


def test_tables_hold_every_cell(run):
    work, _ = run
    summary = pd.read_csv(work / "results" / "tables" / "summary.csv")
    sources = {"gold", "smollm2-135m/llm", "smollm2-135m/entropy25", "smollm2-135m/ensemble"}
    sources |= {"smollm2-135m/learned25", "smollm2-135m/cleanlab_drop", "smollm2-135m/soft"}
    sources |= {"smollm2-135m/calibrated_prior", "smollm2-135m/calibrated_cf"}
    assert set(summary.source) == sources
    assert len(summary) == 2 * len(sources) * 2  # datasets x sources x sizes
    assert (summary.seeds == 2).all()
    for col in ["acc_mean", "f1_mean", "p_uc", "f1_class_0", "f1_class_1"]:
        assert summary[col].between(0, 1).all(), col
    assert summary.alpha.dropna().le(1).all()
    # alpha is undefined only for students that predict one class everywhere
    assert (summary[summary.alpha.isna()].p_uc == 1).all()
    gold = summary[summary.source == "gold"]
    assert (gold.gold_train == gold["size"]).all() and (gold.train_label_noise == 0).all()
    llm = summary[summary.source == "smollm2-135m/llm"]
    assert (llm.gold_train == 0).all()
    ent = summary[summary.source == "smollm2-135m/entropy25"]
    assert (ent.gold_train == (ent["size"] * 0.25).apply(lambda x: -(-x // 1))).all()
    nyt = summary[summary.dataset == "nyt"]
    assert nyt.f1_class_2.notna().all()


def test_paper_tables_and_figure(run):
    work, _ = run
    t1 = pd.read_csv(work / "results/tables/table1.csv", header=[0, 1], index_col=[0, 1])
    assert list(t1.index.get_level_values(0).unique()) == ["Gold", "smollm2-135m"]
    assert t1.shape == (4, 8)  # 2 sources x 2 rows; 2 datasets x (3 values, collapsed)
    t2 = pd.read_csv(work / "results/tables/table2.csv", header=[0, 1], index_col=[0, 1])
    assert "Ensemble (smollm2-135m)" in t2.index.get_level_values(0)
    assert (work / "results/tables/table1.tex").read_text().startswith("\\begin{table}")
    assert (work / "results/figures/figure2.png").stat().st_size > 10_000
    teachers = pd.read_csv(work / "results/tables/teacher_quality.csv")
    # datasets x (2 members + member 0 after each of 2 calibrations)
    assert len(teachers) == 2 * 4 and teachers.accuracy.between(0, 1).all()
    assert sorted(teachers.calibration.unique()) == ["content_free", "none", "prior_em"]


def test_new_label_sources(run):
    work, _ = run
    summary = pd.read_csv(work / "results/tables/summary.csv").set_index(["dataset", "source"])
    learned = summary.loc[("movies", "smollm2-135m/learned25")]
    entropy = summary.loc[("movies", "smollm2-135m/entropy25")]
    # the learned filter spends exactly entropy's gold budget, audit included
    assert learned.gold_train.tolist() == entropy.gold_train.tolist()
    assert (summary.loc[("nyt", "smollm2-135m/soft")].gold_train == 0).all()
    assert (summary.loc[("nyt", "smollm2-135m/cleanlab_drop")].gold_train == 0).all()
    sets = work / "results/label_sets/movies/smollm2-135m"

    def label_set(method):  # one table per training job (runs_per_job: seed), a run per size
        table = pd.read_parquet(sets / f"{method}/seed1.parquet")
        assert sorted(table["size"].unique()) == [16, 32] and (table.seed == 1).all()
        return table[table["size"] == 32]

    soft = label_set("soft")
    assert soft[["p_0", "p_1"]].sum(axis=1).round(5).eq(1).all()
    assert (soft.label == soft[["p_0", "p_1"]].to_numpy().argmax(1)).all()
    drop = label_set("cleanlab_drop")
    assert set(drop.split) <= {"train", "val", "dropped"} and not drop.is_gold.any()
    learned = label_set("learned25")
    train = learned[learned.split == "train"]
    assert train.is_gold.sum() == 8 and train.is_gold.iloc[:4].all()  # budget 8, audit 4
    for tag in ("calibrated_prior", "calibrated_cf"):
        assert (summary.loc[("nyt", f"smollm2-135m/{tag}")].gold_train == 0).all()
        cal = label_set(tag)
        p = cal[["cal_p_0", "cal_p_1"]].to_numpy()
        assert not cal.is_gold.any() and (cal.label == p.argmax(1)).all()
        assert (p.sum(1).round(6) == 1).all() and "cal_entropy" in cal
    emb = pd.read_parquet(work / "results/embeddings/movies/minilm-l6.parquet")
    assert emb.shape == (32 + 16, 384)


def test_analysis_artefacts(run):
    work, _ = run
    claims = pd.read_csv(work / "results/tables/claims.csv")
    # one teacher: no C6 (claims.md says why); calibrated sources: C8
    assert set(claims.claim) == {"C1", "C2", "C3", "C4", "C5", "C7", "C8"}
    # two seeds: no crossed test, so no verdict is decided (`undetermined: too few seeds`)
    assert set(claims.verdict) <= {
        "undetermined: too few seeds",
        "undetermined: collapsed",
        "does not hold: same predictions",
        "not applicable: balanced",
    }
    # a calibrated source that moved no label is the llm source, seed for seed
    for row in claims[claims.verdict == "does not hold: same predictions"].itertuples():
        assert row.claim == "C8" and row.difference == 0
    collapsed = claims.collapsed.fillna("") != ""
    sensitive = claims.claim.isin(["C2", "C3", "C7"])
    assert (claims[collapsed & sensitive].verdict == "undetermined: collapsed").all()
    md = (work / "results/tables/claims.md").read_text()
    assert md.startswith(f"# The paper's claims on this run\n\n**{len(claims)} verdicts** on 2")
    decided = claims[claims.verdict.isin(["holds", "does not hold"]) & (claims.claim != "C7")]
    assert decided[["a", "b", "ci_low", "ci_high", "p_holm"]].notna().all().all()
    c1 = claims[claims.claim == "C1"]
    assert len(c1) == 2 and c1.seeds_for.fillna("/2").str.endswith("/2").all()  # datasets
    diag = pd.read_csv(work / "results/tables/teacher_diagnostics.csv")
    assert diag.ece.between(0, 1).all() and (diag.gold_cross_entropy > 0).all()
    assert diag.calibration.tolist()[:3] == ["none", "prior_em", "content_free"]
    minority = pd.read_csv(work / "results/tables/minority.csv")
    assert len(minority) == 2 + 3  # movies' and nyt's classes, one teacher
    rec = pd.read_csv(work / "results/tables/gap_recovered.csv")
    assert (rec[rec.source == "gold"].recovered == 1).all()
    t2 = pd.read_csv(work / "results/tables/table2.csv", header=[0, 1], index_col=[0, 1])
    assert ("movies", "gold train / val") in t2.columns
    paper = pd.read_csv(work / "results/tables/paper_vs_run.csv")
    assert paper.run.isna().all() and len(paper) == 144  # no paper ids in the tiny grid
    for fig in ["teacher_confusion", "teacher_reliability", "budget", "minority"]:
        assert (work / f"results/figures/{fig}.png").stat().st_size > 10_000, fig


def test_annotations_record_demonstrations(run):
    work, _ = run
    import json

    meta = json.loads((work / "results/annotations/movies/smollm2-135m/member1.json").read_text())
    assert len(meta["demonstration_ids"]) == 3 and meta["demonstration_seed"] == [0, 1]
    # Content-free calibration is on in the tiny grid: member 0's own small job scores them.
    cf = json.loads((work / "results/content_free/movies/smollm2-135m/member0.json").read_text())
    cf = cf["content_free"]
    assert cf["inputs"] == ["N/A", "", "[MASK]"] and len(cf["probs"]) == 3
    ann = pd.read_parquet(work / "results/annotations/movies/smollm2-135m/member1.parquet")
    assert len(ann) == 32 + 16 and ann.filter(like="p_").sum(axis=1).round(6).eq(1).all()


def test_second_run_does_nothing(run):
    work, args = run
    res = snakemake("-n", *args)
    assert "Nothing to be done" in res.stdout + res.stderr


def test_a_deleted_table_is_made_again_and_its_readers_rerun(run):
    """A predictions table lost (deleted, or a training job killed under --forcerun) and a
    deleted metrics table: each is made again, and the tables that read it follow."""
    work, args = run
    lost = [
        work / "results/runs/movies/smollm2-135m/llm/seed1.parquet",
        work / "results/metrics/nyt/gold.parquet",
    ]
    for p in lost:
        p.rename(p.with_suffix(".kept"))
    try:
        res = snakemake("-n", *args)
    finally:
        for p in lost:
            p.with_suffix(".kept").rename(p)
    plan = res.stdout
    assert "output: results/runs/movies/smollm2-135m/llm/seed1.parquet" in plan
    jobs = dict(re.findall(r"^(\w+)\s+(\d+)$", plan, flags=re.M))
    assert jobs["train_student"] == "1" and jobs["evaluate_source"] == "2"
    assert jobs["summarise"] == "1"


# Where each element of the report's first screen is, measured in the browser once the report
# has rendered: written into the page, read back from Chromium's --dump-dom.
GEOMETRY = """<script>
const find = (sel, test) => [...document.querySelectorAll(sel)].find(test);
function measure() {
  const parts = {
    title: find("h1, h2", (e) => e.textContent.includes("the risk")),
    // the risk table starts on the first screen: its header and first row
    table: find("table", (e) => e.textContent.includes("accuracy cost"))?.querySelector("tbody tr"),
    figure: find("img", (e) => (e.getAttribute("alt") || "").startsWith("cost of the teacher")),
  };
  const out = {width: innerWidth, height: innerHeight};
  for (const [name, e] of Object.entries(parts)) {
    const r = e && e.getBoundingClientRect();
    out[name] = r ? [r.left, r.top, r.right, r.bottom] : null;
  }
  return out;
}
let tries = 0;
const timer = setInterval(() => {  // until the report has rendered its front page
  const out = measure();
  if (!(out.title && out.table && out.figure) && ++tries < 30) return;
  clearInterval(timer);
  const pre = document.createElement("pre");
  pre.id = "geometry";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
}, 500);
</script>"""


def chromium():
    import shutil

    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(
    chromium() is None, reason="no Chromium installed (Debian: apt-get install chromium)"
)
def test_report_first_screen_in_a_browser(run):
    import json
    import subprocess

    work, args = run
    report = work / "report.html"
    snakemake("--report", str(report), *args)
    probe = work / "probe.html"
    head, body_end, tail = report.read_text().rpartition("</body>")  # the page's own, last
    probe.write_text(head + GEOMETRY + body_end + tail)
    browser = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    browser += ["--window-size=1280,800", "--virtual-time-budget=20000"]
    dom = subprocess.run(
        [*browser, "--dump-dom", probe.as_uri()], capture_output=True, text=True, timeout=120
    ).stdout
    found = json.loads(re.search(r'<pre id="geometry">(.*?)</pre>', dom).group(1))
    # the page's viewport in a 1280x800 window (the browser's own bars take some of the 800)
    width, height = found["width"], found["height"]
    assert width == 1280 and 600 < height <= 800
    for part in ("title", "table", "figure"):
        box = found[part]
        assert box is not None, f"the report has no {part}"
        left, top, right, bottom = box
        assert left >= 0 and top >= 0 and right <= width and bottom <= height, (part, box, height)
    # a screenshot of that first screen, to look at (tests/.work is kept between runs)
    shot = WORK / "report_first_screen.png"
    subprocess.run([*browser, f"--screenshot={shot}", report.as_uri()], timeout=120, check=True)


def test_students_learn_from_their_labels(run):
    """Gold students beat the majority class on the balanced dataset, and students trained on
    other labels answer otherwise: a wrong training label would show."""
    work, _ = run
    summary = pd.read_csv(work / "results/tables/summary.csv").set_index(["dataset", "source"])
    test = pd.read_parquet(work / "results/data/movies/test.parquet")
    gold = summary.loc[("movies", "gold")].set_index("size")
    assert gold.loc[32, "acc_mean"] > test.label.value_counts(normalize=True).max()
    runs, sets = work / "results/runs/movies", work / "results/label_sets/movies"
    for source in ("smollm2-135m/llm",):
        labels = [
            pd.read_parquet(sets / f"{s}/seed1.parquet").query("split == 'train'").label
            for s in ("gold", source)
        ]
        preds = [pd.read_parquet(runs / f"{s}/seed1.parquet").pred for s in ("gold", source)]
        assert (labels[0].to_numpy() != labels[1].to_numpy()).any(), source
        assert (preds[0].to_numpy() != preds[1].to_numpy()).any(), source
