"""A global-null simulation of the claims table: every label source is drawn alike, so every
decided verdict (holds, does not hold, trade) is false.

One run: a test set of `items` items in the shape's class shares; students of gold, teacher
(`t/llm`) and calibrated (`t/calibrated_prior`) labels at two sizes, `seeds` seeds each. A
student of source j, seed s is right on item i with probability
expit(mu_size + seed_sd z_js + 1.5 u_i + 0.5 v_ji): z_js the seed's luck (correlated 0.3
between the sources of one seed, which share initialisation and training subset), u_i an item
difficulty every source shares, v_ji the source's own hard items. A wrong answer goes to another
class in proportion to its share (errors lean to the majority). Regimes:

- `normal`: z, u, v standard normal;
- `heavy tails`: z, u, v Student's t with 3 degrees of freedom (scaled to unit variance);
- `bad seed`: as `normal`, and one student (a random seed of a random source at the largest
  size) answers the majority class on its test share plus 20 points, just below the collapse
  flag's 25-point margin.

Each run goes through the claims' own planning, tests and Holm step; `effect` lowers the
teacher-label students' accuracy at the largest size by about that much (C1's power).

    PYTHONPATH=workflow_scripts python -m labelrisk.artefacts.claims.nullsim --reps 400
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from labelrisk.artefacts.claims.plan import Setting, plan
from labelrisk.artefacts.claims.runs import Runs
from labelrisk.artefacts.claims.verdict import Verdict
from labelrisk.artefacts.claims.verdicts import assess, finish

SHAPES = {
    "2 classes 50/50": (0.5, 0.5),
    "2 classes 67/33": (0.67, 0.33),
    "3 classes balanced": (1 / 3, 1 / 3, 1 / 3),
    "3 classes 60/25/15": (0.6, 0.25, 0.15),
}
REGIMES = ("normal", "heavy tails", "bad seed")
CLAIMS = ("C1", "C2", "C3", "C4", "C7", "C8")
GOLD, LLM, CAL = "gold", "t/llm", "t/calibrated_prior"
SMALL, LARGE = 100, 300
DECIDED = (Verdict.HOLDS, Verdict.FAILS, Verdict.TRADE)


@dataclass(frozen=True)
class Cell:
    shape: str
    regime: str
    seeds: int
    items: int = 200
    seed_sd: float = 0.3  # logit scale: about 4-5 accuracy points across seeds


def _noise(rng: np.random.Generator, heavy: bool, size) -> np.ndarray:
    if heavy:
        return rng.standard_t(3, size) / np.sqrt(3.0)
    return rng.standard_normal(size)


def draw(cell: Cell, rng: np.random.Generator, effect: float = 0.0) -> Runs:
    """One run of every source the claims need."""
    shares = np.array(SHAPES[cell.shape])
    k, n, s = len(shares), cell.items, cell.seeds
    counts = np.floor(shares * n).astype(int)
    counts[0] += n - counts.sum()
    gold = rng.permutation(np.repeat(np.arange(k), counts))
    heavy = cell.regime == "heavy tails"
    u = _noise(rng, heavy, n)
    shared = _noise(rng, heavy, s)
    base = {SMALL: 1.4, LARGE: 2.0} if k == 2 else {SMALL: 1.0, LARGE: 1.6}
    keys = [(GOLD, SMALL), (LLM, SMALL), (GOLD, LARGE), (LLM, LARGE), (CAL, LARGE)]
    preds = {}
    for src, size in keys:
        luck = np.sqrt(0.3) * shared + np.sqrt(0.7) * _noise(rng, heavy, s)
        mu = base[size] - (effect if (src, size) == (LLM, LARGE) else 0.0)
        logit = mu + cell.seed_sd * luck[:, None] + 1.5 * u + 0.5 * _noise(rng, heavy, n)
        right = rng.random((s, n)) < expit(logit)
        preds[(src, size)] = np.where(right, gold, _wrong(gold, shares, rng, s))
    if cell.regime == "bad seed":
        _bad_seed(preds, keys[2:], gold, shares, rng)
    return Runs(gold, preds, k, np.arange(1, s + 1))


def _wrong(gold: np.ndarray, shares: np.ndarray, rng: np.random.Generator, s: int):
    """Per seed and item, a class other than gold, drawn in proportion to the class shares."""
    w = np.broadcast_to(shares, (len(gold), len(shares))).copy()
    w[np.arange(len(gold)), gold] = 0
    cum = np.cumsum(w / w.sum(1, keepdims=True), 1)
    return (rng.random((s, len(gold), 1)) > cum[None]).sum(2).clip(max=len(shares) - 1)


def _bad_seed(preds, keys, gold, shares, rng) -> None:
    """One student answers the majority class on its test share plus 20 points."""
    key = keys[rng.integers(len(keys))]
    seed = rng.integers(len(preds[key]))
    major = int(np.argmax(shares))
    row = preds[key][seed].copy()
    target = int(round(((gold == major).mean() + 0.2) * len(gold)))
    others = rng.permutation(np.flatnonzero(row != major))
    row[others[: max(0, target - int((row == major).sum()))]] = major
    preds[key] = preds[key].copy()
    preds[key][seed] = row


def verdicts(runs: Runs, shares) -> dict[str, str]:
    """Every claim's verdict on one run (one row per claim here)."""
    k = runs.n_classes
    setting = Setting([SMALL, LARGE], np.asarray(shares), [f"c{j}" for j in range(k)], {})
    rows = [assess(c, runs) for c in plan("sim", [GOLD, LLM, CAL], setting)]
    return {r["claim"]: r["verdict"] for r in finish(rows)}


def rates(cell: Cell, reps: int, seed: int = 0, effect: float = 0.0) -> dict[str, float]:
    """Per claim, the share of runs with a decided verdict (false under the null); under an
    effect, C1's share of `holds` (its power). NaN where the claim is not applicable."""
    rng = np.random.default_rng(seed)
    got = [verdicts(draw(cell, rng, effect), SHAPES[cell.shape]) for _ in range(reps)]
    out = {}
    for claim in CLAIMS:
        v = [g[claim] for g in got if claim in g]
        if not v or str(v[0]).startswith("not applicable"):
            out[claim] = np.nan
            continue
        hit = (Verdict.HOLDS,) if effect else DECIDED
        out[claim] = float(np.isin(v, hit).mean())
    return out


def cells(seeds=(3, 5)) -> list[Cell]:
    return [Cell(sh, rg, s) for sh in SHAPES for rg in REGIMES for s in seeds]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=400)
    ap.add_argument("--power-reps", type=int, default=200)
    args = ap.parse_args()
    print("shape | regime | seeds | " + " | ".join(CLAIMS))
    print("--- | --- | --- | " + " | ".join("---" for _ in CLAIMS))
    for i, cell in enumerate(cells((3, 5, 8))):
        r = rates(cell, args.reps, seed=i)
        shown = " | ".join("n/a" if np.isnan(r[c]) else f"{r[c]:.3f}" for c in CLAIMS)
        print(f"{cell.shape} | {cell.regime} | {cell.seeds} | {shown}", flush=True)
    print("\nC1 power: shape | seeds | logit shift | accuracy cost | share `holds`")
    for shape in ("2 classes 50/50", "3 classes 60/25/15"):
        for seeds in (3, 5):
            for shift in (0.25, 0.5, 1.0):
                cell = Cell(shape, "normal", seeds)
                cost = accuracy_cost(cell, shift)
                power = rates(cell, args.power_reps, seed=99, effect=shift)["C1"]
                print(f"{shape} | {seeds} | {shift} | {100 * cost:.1f} | {power:.2f}", flush=True)


def accuracy_cost(cell: Cell, shift: float, reps: int = 200) -> float:
    """The mean accuracy drop a logit shift gives the teacher-label students at the largest
    size (measured on draws)."""
    rng = np.random.default_rng(7)
    drops = []
    for _ in range(reps // 10):
        runs = draw(cell, rng, shift)
        drops.append(
            (runs.preds[(GOLD, LARGE)] == runs.gold).mean()
            - (runs.preds[(LLM, LARGE)] == runs.gold).mean()
        )
    return float(np.mean(drops))


if __name__ == "__main__":
    main()
