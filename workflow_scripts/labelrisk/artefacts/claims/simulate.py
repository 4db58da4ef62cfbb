"""Runs of the default's shape simulated under a null or an effect, checked by the claims' own
code: how often a verdict is wrong, and how often a real effect is found.

A student of label source j, seed s answers test item i correctly with probability
sigmoid(mu_j + seed_sd z_js + shared u_i + own v_ji): z_js is the seed's luck (correlated
between the sources of one seed, which share initialisation and training subset), u_i an item
difficulty every source shares (regime `correlated`: students err on the same hard items) and
v_ji one of the source's own. Regime `independent` has no item difficulty at all. A wrong answer
goes to another class at random. Under the null the compared sources are drawn alike; under the
effect the claim is true by about `effect` (5 points of accuracy, agreement or seed std).

    python -m labelrisk.artefacts.claims.simulate --reps 2000
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from labelrisk.artefacts.claims.plan import Setting, plan
from labelrisk.artefacts.claims.runs import Runs
from labelrisk.artefacts.claims.verdicts import FAILS, HOLDS, TRADE, assess, finish

# (shared, own) item difficulty weights. `correlated` matches the default's 3-seed run on movies:
# students on gold and on the 1.5B's labels are right on the same items (correlation of
# correctness 0.61-0.69 there, 0.32-0.42 on movies_skewed; here 0.58) and two seeds' gold
# students agree on 86% of items (here 87%).
REGIMES = {"independent": (0.0, 0.0), "correlated": (4.0, 0.5)}
CLAIMS = ("C1", "C2", "C3", "C4", "C7", "C8")
GOLD, LLM, CAL = "gold", "t/llm", "t/calibrated_prior"
SMALL, LARGE = 100, 300


@dataclass(frozen=True)
class Shape:
    seeds: int = 5
    items: int = 200
    shares: tuple[float, ...] = (0.5, 0.5)
    accuracy: float = 0.8  # of the student compared against
    seed_std: float = 0.045  # of accuracy across seeds, test-set noise included (measured: 3-6)
    seed_corr: float = 0.3  # of the seed luck between the sources of one seed


def _bisect(fn, target: float, lo: float, hi: float) -> float:
    """x in [lo, hi] with fn(x) = target, fn increasing."""
    for _ in range(40):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if fn(mid) < target else (lo, mid)
    return (lo + hi) / 2


class Simulator:
    """Draws one run (every source the claim needs) per call, for one shape and regime."""

    def __init__(self, shape: Shape, regime: str, rng: np.random.Generator):
        self.shape, self.rng = shape, rng
        self.shared, self.own = REGIMES[regime]
        # Item difficulties and seed lucks to calibrate the logits on, once.
        self._items = self.shared * rng.standard_normal(4000) + self.own * rng.standard_normal(4000)
        self._luck = rng.standard_normal(400)
        self._pair = rng.standard_normal((2, 2, 4000))  # two seeds' luck and item noise
        self._cache = {}
        self.mu = self.mu_at(shape.accuracy)
        self.seed_sd = self.sd_at(shape.seed_std)

    def _accuracy(self, mu: float, sd: float) -> np.ndarray:
        """Expected accuracy of each calibration seed."""
        return expit(mu + sd * self._luck[:, None] + self._items[None, :200]).mean(1)

    def mu_at(self, accuracy: float) -> float:
        """The logit whose students are right on `accuracy` of the items on average."""
        key = ("mu", accuracy)
        if key not in self._cache:
            self._cache[key] = _bisect(lambda m: expit(m + self._items).mean(), accuracy, -8.0, 8.0)
        return self._cache[key]

    def agreement(self, item_sd: float) -> float:
        """Expected agreement of two seeds' students (right together, or wrong alike)."""
        k = len(self.shape.shares)
        luck, noise = self._pair[0, :, :1], self._pair[1]
        p = expit(self.mu + self.seed_sd * luck + self._items[None] + item_sd * noise)
        return float((p[0] * p[1] + (1 - p[0]) * (1 - p[1]) / (k - 1)).mean())

    def item_sd_at(self, drop: float) -> float:
        """The seed x item noise that lowers the agreement between seeds by `drop`."""
        key = ("item", drop)
        if key not in self._cache:
            base = self.agreement(0.0)
            self._cache[key] = _bisect(lambda x: base - self.agreement(x), drop, 0.0, 10.0)
        return self._cache[key]

    def sd_at(self, seed_std: float) -> float:
        """The logit seed spread giving `seed_std` of accuracy across seeds, the binomial
        noise of the test items included."""
        key = ("sd", seed_std)
        if key not in self._cache:
            p = self.shape.accuracy
            binomial = p * (1 - p) / self.shape.items
            target = np.sqrt(max(seed_std**2 - binomial, 1e-6))
            self._cache[key] = _bisect(
                lambda sd: self._accuracy(self.mu, sd).std(), target, 0.0, 5.0
            )
        return self._cache[key]

    def run(self, groups: dict[tuple[str, int], dict]) -> tuple[Runs, np.ndarray]:
        """`groups`: per (source, size) the keyword changes of its students: `mu` (logit),
        `seed_sd` (logit), `item_sd` (seed x item noise that lowers agreement), `class_mu` (per
        gold class shift)."""
        sh, rng = self.shape, self.rng
        k = len(sh.shares)
        gold = rng.choice(k, size=sh.items, p=sh.shares)
        u = rng.standard_normal(sh.items)
        z_common = rng.standard_normal(sh.seeds)
        preds = {}
        for key, g in groups.items():
            z = np.sqrt(sh.seed_corr) * z_common
            z = z + np.sqrt(1 - sh.seed_corr) * rng.standard_normal(sh.seeds)
            eta = (
                g.get("mu", self.mu)
                + g.get("seed_sd", self.seed_sd) * z[:, None]
                + self.shared * u[None]
                + self.own * rng.standard_normal(sh.items)[None]
                + g.get("item_sd", 0.0) * rng.standard_normal((sh.seeds, sh.items))
            )
            if "class_mu" in g:
                eta = eta + np.asarray(g["class_mu"])[gold][None]
            right = rng.random((sh.seeds, sh.items)) < expit(eta)
            other = (gold[None] + rng.integers(1, k, (sh.seeds, sh.items))) % k
            preds[key] = np.where(right, gold[None], other)
        return Runs(gold, preds, k, np.arange(1, sh.seeds + 1)), gold


def groups_for(claim: str, sim: Simulator, effect: float) -> dict:
    """The students a claim compares; under `effect` > 0 the claim is true by about that."""
    mu, acc = sim.mu, sim.shape.accuracy
    worse = sim.mu_at(acc - effect) if effect else mu
    if claim == "C1":
        return {(GOLD, LARGE): {}, (LLM, LARGE): {"mu": worse}}
    if claim == "C3":
        small = sim.mu_at(acc - 0.1)
        return {
            (GOLD, SMALL): {"mu": small},
            (GOLD, LARGE): {},
            (LLM, SMALL): {"mu": small},
            (LLM, LARGE): {"mu": worse},
        }
    if claim == "C4":
        # The teacher's labels cost the minority class (1) more: its items are answered worse.
        shift = [0.0, worse - mu]
        return {(GOLD, LARGE): {}, (LLM, LARGE): {"class_mu": shift} if effect else {}}
    if claim == "C8":
        return {(LLM, LARGE): {"mu": worse}, (CAL, LARGE): {}, (GOLD, LARGE): {}}
    if claim == "C2":
        # Seed x item noise: the seeds' students agree `effect` less on the teacher's labels.
        return {(GOLD, LARGE): {}, (LLM, LARGE): {"item_sd": sim.item_sd_at(effect)}}
    if claim == "C7":
        # A seed std of accuracy `effect` larger on the teacher's labels.
        sd = sim.sd_at(sim.shape.seed_std + effect)
        return {(GOLD, LARGE): {}, (LLM, LARGE): {"seed_sd": sd}}
    raise ValueError(claim)


def verdict(claim: str, sim: Simulator, effect: float) -> str:
    """One simulated run through the claims' planning, tests and Holm step."""
    runs, _ = sim.run(groups_for(claim, sim, effect))
    sizes = sorted({size for _, size in runs.preds})
    setting = Setting(
        sizes, np.asarray(sim.shape.shares), [f"c{j}" for j in range(runs.n_classes)], {}
    )
    srcs = list(dict.fromkeys(src for src, _ in runs.preds))
    (c,) = [c for c in plan("sim", srcs, setting) if c.claim == claim]
    (row,) = finish([assess(c, runs)])
    return row["verdict"]


def rates(claim: str, shape: Shape, regime: str, effect: float, reps: int, seed: int = 0):
    """Share of wrong verdicts (any verdict under the null; `does not hold` under an effect) and
    share of `holds` (the power, under an effect)."""
    sim = Simulator(shape, regime, np.random.default_rng(seed))
    got = [verdict(claim, sim, effect) for _ in range(reps)]
    decided = np.isin(got, [HOLDS, FAILS, TRADE])
    found = np.isin(got, [HOLDS, TRADE])
    wrong = decided if effect == 0 else np.isin(got, [FAILS])
    return float(wrong.mean()), float(found.mean())


SHAPES = {
    "2 classes": Shape(),
    "3 classes": Shape(shares=(0.5, 0.3, 0.2), accuracy=0.7),
    "2 classes, 33% minority": Shape(shares=(0.67, 0.33)),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=1000)
    ap.add_argument("--effect", type=float, default=0.05)
    args = ap.parse_args()
    print("claim | shape | regime | false verdicts (null) | power (effect)")
    for claim in CLAIMS:
        shapes = ["2 classes, 33% minority"] if claim == "C4" else ["2 classes", "3 classes"]
        for name in shapes:
            for regime in REGIMES:
                null, _ = rates(claim, SHAPES[name], regime, 0.0, args.reps)
                _, power = rates(claim, SHAPES[name], regime, args.effect, args.reps, seed=1)
                print(f"{claim} | {name} | {regime} | {null:.3f} | {power:.3f}")


if __name__ == "__main__":
    main()
