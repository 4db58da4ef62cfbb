"""The paper's claims, checked on a run's own results.

C1 gold labels beat the teacher's labels in accuracy and macro-F1 at the largest size.
C2 Krippendorff's alpha and p_uc are lower with the teacher's labels.
C3 learning curves on the teacher's labels gain less from the smallest to the largest size.
C4 the minority class loses more F1 than the majority class.
C5 the consistency ensemble recovers more of the gold-vs-LLM macro-F1 gap than entropy
   filtering (each row states both gold costs).
C6 instability (1 - p_uc, 1 - alpha) does not shrink with the larger teacher: the larger
   teacher's students (a) are at least as unstable as the smaller teacher's (b).
C7 the seed standard deviation of accuracy and macro-F1 is higher on the teacher's labels (a)
   than on gold (b).
C8 (beyond the paper) a gold-free calibrated label source recovers part of the gold-vs-LLM
   macro-F1 gap at no gold cost: the share recovered (a) is above 0 (b).

Every check compares two quantities a and b (the claim says a > b; C6 says a is not below b)
and reports both, their difference and a 95% two-level bootstrap interval: each draw resamples
the seeds with replacement (the same seeds for every source, which share their initialisations),
then the test items with replacement (the same items for every seed and source), so the interval
carries run-to-run variance as well as test-set noise. Quantities defined across seeds (alpha,
p_uc, seed standard deviations) are computed over the distinct seeds a draw holds; a draw with a
single distinct seed leaves them undefined and is skipped. Where the quantity exists per seed,
the row also gives how many seeds agree and a one-sided sign test over seeds
(scipy.stats.binomtest). Verdict: `holds` when the interval lies above 0 and most seeds agree;
`does not hold` when it lies below 0 and most seeds disagree; `undetermined` otherwise, or when a
quantity is undefined. `collapsed` names every student of the comparison that predicts a single
class on the whole test set (seeds collapsed / seeds): such a student is perfectly "stable" and
has no seed variance, so C2, C6 and C7 rows that involve one read `undetermined: collapsed`.
A C8 row whose calibrated students predict exactly what the uncalibrated ones do (calibration
moved no training label's argmax) reads `does not hold: same predictions`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import binomtest

from labelrisk.evaluation.metrics import alpha_nominal
from labelrisk.grid import Source

HOLDS, FAILS, UNDETERMINED = "holds", "does not hold", "undetermined"
COLLAPSED = "undetermined: collapsed"
# C8 when calibration changed no prediction of any student: nothing recovered, exactly.
UNCHANGED = "does not hold: same predictions"
# Claims whose quantities a collapsed student makes meaningless (no disagreement, no variance).
COLLAPSE_SENSITIVE = {"C2", "C6", "C7"}


def class_f1(gold: np.ndarray, preds: np.ndarray, n_classes: int) -> np.ndarray:
    """Per-seed, per-class F1 (seeds x classes) as sklearn's f1_score(average=None,
    zero_division=0) computes it, vectorised over seeds for the bootstrap."""
    preds = np.atleast_2d(preds)
    out = np.empty((len(preds), n_classes))
    for k in range(n_classes):
        is_k = gold == k
        tp = ((preds == k) & is_k).sum(1)
        denom = (preds == k).sum(1) + is_k.sum()
        out[:, k] = np.where(denom > 0, 2 * tp / np.maximum(denom, 1), 0.0)
    return out


def macro_f1(gold: np.ndarray, preds: np.ndarray, n_classes: int) -> np.ndarray:
    return class_f1(gold, preds, n_classes).mean(1)


def accuracy(gold: np.ndarray, preds: np.ndarray) -> np.ndarray:
    return (np.atleast_2d(preds) == gold).mean(1)


def p_unchanged(preds: np.ndarray) -> float:
    return float((preds == preds[:1]).all(0).mean())


def seed_std(values: np.ndarray) -> float:
    """Sample standard deviation (ddof=1) across seeds, as the summary tables report it."""
    values = np.asarray(values, dtype=float)
    return float(np.std(values, ddof=1)) if values.size > 1 else np.nan


@dataclass
class Runs:
    """One dataset's test predictions: gold (items) and seeds x items per (source, size).

    `seeds` names the row of every prediction matrix (the same seeds for every source); after a
    bootstrap draw it may repeat a seed."""

    gold: np.ndarray
    preds: dict[tuple[str, int], np.ndarray]
    n_classes: int
    seeds: np.ndarray

    @classmethod
    def from_items(cls, items: pd.DataFrame, n_classes: int) -> Runs:
        ids = np.sort(items.id.unique())
        seeds = np.sort(items.seed.unique())
        first = items.drop_duplicates("id").set_index("id")
        preds = {}
        for (src, size), sub in items.groupby(["source", "size"]):
            table = sub.pivot(index="seed", columns="id", values="pred")
            preds[(src, int(size))] = table.loc[seeds, ids].to_numpy()
        return cls(first.loc[ids, "gold"].to_numpy(), preds, n_classes, seeds)

    def take(self, idx: np.ndarray, seed_idx: np.ndarray | None = None) -> Runs:
        """The runs restricted to test items `idx` and seed rows `seed_idx` (both may repeat)."""
        rows = np.arange(len(self.seeds)) if seed_idx is None else np.asarray(seed_idx)
        return Runs(
            self.gold[idx],
            {k: v[rows][:, idx] for k, v in self.preds.items()},
            self.n_classes,
            self.seeds[rows],
        )

    def distinct(self, key: tuple[str, int]) -> np.ndarray:
        """The prediction rows of `key`, one per distinct seed (for quantities across seeds)."""
        _, first = np.unique(self.seeds, return_index=True)
        return self.preds[key][np.sort(first)]

    def same(self, *keys: tuple[str, int]) -> bool:
        """Whether the students of these keys predict the same class on every item and seed."""
        return all(np.array_equal(self.preds[keys[0]], self.preds[k]) for k in keys[1:])

    def collapsed(self, key: tuple[str, int]) -> int:
        """How many seeds' students predict a single class on every test item."""
        return int(sum(np.unique(row).size == 1 for row in self.preds[key]))


# A statistic maps runs to (a, b): per-seed arrays, or scalars when only defined across seeds.
Stat = Callable[[Runs], tuple]


def _mean(x) -> float:
    x = np.asarray(x, dtype=float)
    return float(np.nanmean(x)) if np.isfinite(x).any() else np.nan


def check(
    runs: Runs, stat: Stat, boot: int, rng: np.random.Generator
) -> dict[str, float | str | int]:
    """Point values, two-level bootstrap interval, seed agreement and verdict of a > b."""
    a, b = stat(runs)
    diff = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    d = _mean(diff)
    n, s = len(runs.gold), len(runs.seeds)
    draws = []
    for _ in range(boot):
        seed_idx = rng.integers(0, s, s)
        ra, rb = stat(runs.take(rng.integers(0, n, n), seed_idx))
        with np.errstate(invalid="ignore"):
            draws.append(_mean(np.asarray(ra, dtype=float) - np.asarray(rb, dtype=float)))
    draws = np.asarray(draws)
    finite = draws[np.isfinite(draws)]
    lo, hi = np.percentile(finite, [2.5, 97.5]) if len(finite) >= boot / 2 else (np.nan, np.nan)
    out = {
        "a": _mean(a),
        "b": _mean(b),
        "difference": d,
        "ci_low": float(lo),
        "ci_high": float(hi),
        "seeds_for": "",
        "sign_test_p": np.nan,
    }
    agree = None
    if diff.ndim == 1 and diff.size > 1:
        nonzero = diff[np.isfinite(diff) & (diff != 0)]
        k = int((nonzero > 0).sum())
        out["seeds_for"] = f"{k}/{diff.size}"
        if len(nonzero):
            out["sign_test_p"] = binomtest(k, len(nonzero), 0.5, alternative="greater").pvalue
        agree = k / diff.size
    out["verdict"] = verdict(d, lo, hi, agree)
    return out


def verdict(d: float, lo: float, hi: float, seed_share: float | None) -> str:
    if not (np.isfinite(d) and np.isfinite(lo) and np.isfinite(hi)):
        return UNDETERMINED
    if lo > 0 and (seed_share is None or seed_share > 0.5):
        return HOLDS
    if hi < 0 and (seed_share is None or seed_share < 0.5):
        return FAILS
    return UNDETERMINED


def smallest_sign_test_p(n_seeds: int) -> float:
    """The smallest p a one-sided sign test over `n_seeds` seeds can give (every seed agrees)."""
    return 0.5**n_seeds


def c1(metric: str, gold: str, llm: str, size: int) -> Stat:
    def stat(r: Runs):
        if metric == "accuracy":
            return accuracy(r.gold, r.preds[(gold, size)]), accuracy(r.gold, r.preds[(llm, size)])
        return (
            macro_f1(r.gold, r.preds[(gold, size)], r.n_classes),
            macro_f1(r.gold, r.preds[(llm, size)], r.n_classes),
        )

    return stat


def _across(fn: Callable[[np.ndarray], float], r: Runs, key: tuple[str, int]) -> float:
    rows = r.distinct(key)
    return fn(rows) if len(rows) > 1 else np.nan


def instability(metric: str) -> Callable[[np.ndarray], float]:
    """1 - alpha or 1 - p_uc of a seeds x items prediction matrix."""
    fn = alpha_nominal if metric == "alpha" else p_unchanged
    return lambda preds: 1.0 - fn(preds)


def c2(metric: str, gold: str, llm: str, size: int) -> Stat:
    fn = alpha_nominal if metric == "alpha" else p_unchanged
    return lambda r: (_across(fn, r, (gold, size)), _across(fn, r, (llm, size)))


def c3(gold: str, llm: str, small: int, large: int) -> Stat:
    def gain(r: Runs, src: str):
        k = r.n_classes
        return macro_f1(r.gold, r.preds[(src, large)], k) - macro_f1(
            r.gold, r.preds[(src, small)], k
        )

    return lambda r: (gain(r, gold), gain(r, llm))


def c4(gold: str, llm: str, size: int, minority: int, majority: int) -> Stat:
    def stat(r: Runs):
        drop = class_f1(r.gold, r.preds[(gold, size)], r.n_classes) - class_f1(
            r.gold, r.preds[(llm, size)], r.n_classes
        )
        return drop[:, minority], drop[:, majority]

    return stat


def _recovered(r: Runs, gold: str, llm: str, others: Sequence[str], size: int):
    """Per seed, the share of the mean gold-vs-LLM macro-F1 gap each of `others` recovers."""
    f1 = {s: macro_f1(r.gold, r.preds[(s, size)], r.n_classes) for s in (gold, llm, *others)}
    gap = float(np.mean(f1[gold] - f1[llm]))
    if gap <= 0:
        return [np.full(len(f1[gold]), np.nan) for _ in others]
    return [(f1[o] - f1[llm]) / gap for o in others]


def c5(gold: str, llm: str, ensemble: str, entropy: str, size: int) -> Stat:
    return lambda r: tuple(_recovered(r, gold, llm, (ensemble, entropy), size))


def c6(metric: str, larger: str, smaller: str, size: int) -> Stat:
    fn = instability(metric)
    return lambda r: (_across(fn, r, (larger, size)), _across(fn, r, (smaller, size)))


def c7(metric: str, gold: str, llm: str, size: int) -> Stat:
    def std(r: Runs, src: str) -> float:
        rows = r.distinct((src, size))
        if len(rows) < 2:
            return np.nan
        if metric == "accuracy":
            return seed_std(accuracy(r.gold, rows))
        return seed_std(macro_f1(r.gold, rows, r.n_classes))

    return lambda r: (std(r, llm), std(r, gold))


def c8(gold: str, llm: str, calibrated: str, size: int) -> Stat:
    def stat(r: Runs):
        (share,) = _recovered(r, gold, llm, (calibrated,), size)
        return share, np.zeros_like(share)

    return stat


@dataclass
class Check:
    claim: str
    teacher: str
    quantity: str
    stat: Stat
    involved: list[tuple[str, int]]
    extra: dict


def _with_role(srcs: Sequence[str], teacher: str, role: str) -> list[str]:
    """The teacher's sources whose family plays `role` in the claims (C5a, C5b, C8a)."""
    parsed = [(s, Source.parse(s)) for s in srcs]
    return [s for s, p in parsed if p.teacher == teacher and role in p.mitigation.claims]


def _plan(srcs, teachers, larger, small, large, share, names, top):
    """Every check on one dataset; `srcs` in grid order."""
    lo_k, hi_k = int(np.argmin(share)), int(np.argmax(share))
    at_large = f"at n={large}"
    for t in teachers:
        llm = f"{t}/llm"
        both = [("gold", large), (llm, large)]
        for metric in ("accuracy", "macro_f1"):
            q = f"{metric} {at_large}: gold (a) vs LLM labels (b)"
            yield Check("C1", t, q, c1(metric, "gold", llm, large), both, {})
        for metric in ("alpha", "p_uc"):
            q = f"{metric} {at_large}: gold (a) vs LLM labels (b)"
            yield Check("C2", t, q, c2(metric, "gold", llm, large), both, {})
        if small != large:
            q = f"macro-F1 gain n={small}->{large}: gold (a) vs LLM labels (b)"
            inv = [("gold", small), (llm, small), *both]
            yield Check("C3", t, q, c3("gold", llm, small, large), inv, {})
        if lo_k != hi_k:
            q = (
                f"F1 lost (gold minus LLM) {at_large}: minority {names[lo_k]} "
                f"({share[lo_k]:.0%} of pool) (a) vs majority {names[hi_k]} "
                f"({share[hi_k]:.0%}) (b)"
            )
            yield Check("C4", t, q, c4("gold", llm, large, lo_k, hi_k), both, {})
        for ens in _with_role(srcs, t, "C5a"):
            for ent in sorted(_with_role(srcs, t, "C5b")):
                g_a, g_b = top.loc[ens, "gold_train"], top.loc[ent, "gold_train"]
                q = (
                    f"share of the macro-F1 gap recovered {at_large}: {Source.parse(ens).method} "
                    f"(a, {g_a:g} gold) vs {Source.parse(ent).method} (b, {g_b:g} gold)"
                )
                inv = [*both, (ens, large), (ent, large)]
                extra = {"gold_a": g_a, "gold_b": g_b}
                yield Check("C5", t, q, c5("gold", llm, ens, ent, large), inv, extra)
        if t in larger:
            for other in teachers:
                if other == t or other in larger:
                    continue
                pair = [(llm, large), (f"{other}/llm", large)]
                for metric in ("p_uc", "alpha"):
                    q = f"1 - {metric} {at_large}: {t} labels (a) vs {other} labels (b)"
                    stat = c6(metric, llm, f"{other}/llm", large)
                    yield Check("C6", t, q, stat, pair, {})
        for metric in ("accuracy", "macro_f1"):
            q = f"seed std of {metric} {at_large}: LLM labels (a) vs gold (b)"
            yield Check("C7", t, q, c7(metric, "gold", llm, large), both, {})
        for cal in _with_role(srcs, t, "C8a"):
            g = top.loc[cal, "gold_train"] if cal in top.index else 0
            q = (
                f"share of the macro-F1 gap recovered {at_large}: {Source.parse(cal).method} "
                f"(a, {g:g} gold) vs 0 (b)"
            )
            inv = [*both, (cal, large)]
            yield Check("C8", t, q, c8("gold", llm, cal, large), inv, {"gold_a": g})


def collapsed_note(runs: Runs, involved: Sequence[tuple[str, int]]) -> str:
    """`source n=size: k/seeds` for every collapsed student of a comparison, `;`-separated."""
    notes = []
    for key in dict.fromkeys(involved):
        k = runs.collapsed(key)
        if k:
            notes.append(f"{key[0]} n={key[1]}: {k}/{len(runs.seeds)}")
    return "; ".join(notes)


def claims_table(
    items: pd.DataFrame,
    summary: pd.DataFrame,
    shares: Mapping[str, np.ndarray],
    n_classes: Mapping[str, int],
    labels: Mapping[str, Sequence[str]],
    boot: int = 1000,
    seed: int = 0,
    larger: Sequence[str] = (),
) -> pd.DataFrame:
    """Rows of C1-C8 for every dataset and teacher the run holds. `larger`: the teachers that
    stand for the paper's larger model (C6 compares each with every other teacher)."""
    rng = np.random.default_rng(seed)
    rows = []
    for ds in labels:
        sub = items[items.dataset == ds]
        if sub.empty:
            continue
        runs = Runs.from_items(sub, n_classes[ds])
        sizes = sorted(sub["size"].unique())
        small, large = int(sizes[0]), int(sizes[-1])
        srcs = list(dict.fromkeys(sub.source))
        parsed = [Source.parse(s) for s in srcs]
        teachers = [p.teacher for p in parsed if p.mitigation.name == "llm"]
        top = summary[(summary.dataset == ds) & (summary["size"] == large)].set_index("source")
        plan = _plan(
            srcs, teachers, set(larger), small, large, np.asarray(shares[ds]), labels[ds], top
        )
        for c in plan:
            row = {"claim": c.claim, "dataset": ds, "teacher": c.teacher, "quantity": c.quantity}
            result = check(runs, c.stat, boot, rng)
            result["collapsed"] = collapsed_note(runs, c.involved)
            if result["collapsed"] and c.claim in COLLAPSE_SENSITIVE:
                result["verdict"] = COLLAPSED
            elif c.claim == "C8" and runs.same(*c.involved[1:]):
                result["verdict"] = UNCHANGED
            rows.append({**row, **result, **c.extra})
    cols = ["claim", "dataset", "teacher", "quantity", "a", "b", "difference", "ci_low"]
    cols += ["ci_high", "seeds_for", "sign_test_p", "collapsed", "verdict"]
    out = pd.DataFrame(rows)
    if out.empty:
        return pd.DataFrame(columns=cols)
    out = out[cols + [c for c in out.columns if c not in cols]]
    out.attrs["n_seeds"] = int(items.seed.nunique())
    return out


def claims_markdown(table: pd.DataFrame, n_seeds: int | None = None) -> str:
    """The method, a verdict count per claim, then every row with its numbers."""
    n_seeds = n_seeds or table.attrs.get("n_seeds")
    lines = ["# The paper's claims on this run", "", __doc__.split("\n\n", 1)[1].strip(), ""]
    if n_seeds:
        p = smallest_sign_test_p(n_seeds)
        reach = "can" if p < 0.05 else "cannot"
        lines += [
            f"This run has {n_seeds} seeds: a one-sided sign test over them is at least "
            f"0.5^{n_seeds} = {p:.3g} even when every seed agrees, so it {reach} reach 5%"
            + (
                "; the verdicts rest on the bootstrap interval, with seed agreement as a "
                "guard, not on a significance test over seeds."
                if p >= 0.05
                else "."
            ),
            "",
        ]
    claims = set(table.claim) if len(table) else set()
    for claim, sub in table.groupby("claim"):
        counts = sub.verdict.value_counts()
        tally = ", ".join(f"{n} {v}" for v, n in counts.items())
        lines.append(f"- **{claim}**: {tally} (of {len(sub)} checks)")
    if "C6" not in claims:
        lines.append(
            "- **C6**: skipped: the run needs a larger teacher (`mitigations.teachers`) and "
            "another teacher to compare it with."
        )
    if "C8" not in claims:
        lines.append(
            "- **C8**: skipped: no calibrated label source (`<teacher>/calibrated_prior`, "
            "`<teacher>/calibrated_cf`) in this run."
        )
    show = table.drop(columns=[c for c in ("gold_a", "gold_b") if c in table])
    lines += ["", show.to_markdown(index=False, floatfmt=".3f", missingval="–"), ""]
    return "\n".join(lines)
