"""The paper's claims, checked on a run's own results.

C1 gold labels beat the teacher's labels in accuracy and macro-F1 at the largest size.
C2 Krippendorff's alpha and p_uc are lower with the teacher's labels.
C3 learning curves on the teacher's labels gain less from the smallest to the largest size.
C4 the minority class loses more F1 than the majority class.
C5 the consistency ensemble recovers more of the gold-vs-LLM macro-F1 gap than entropy
   filtering (each row states both gold costs).

Every check compares two quantities a and b (the claim says a > b) and reports both, their
difference, a 95% paired-bootstrap interval over test items (the same resampled items for every
seed and source), and, where the quantity exists per seed, how many seeds agree and a one-sided
sign test over seeds (scipy.stats.binomtest). Verdict: `holds` when the interval lies above 0
and most seeds agree; `does not hold` when it lies below 0 and most seeds disagree;
`undetermined` otherwise, or when a quantity is undefined (e.g. alpha of collapsed students).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import binomtest

from .metrics import alpha_nominal

HOLDS, FAILS, UNDETERMINED = "holds", "does not hold", "undetermined"


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


@dataclass
class Runs:
    """One dataset's test predictions: gold (items) and seeds x items per (source, size)."""

    gold: np.ndarray
    preds: dict[tuple[str, int], np.ndarray]
    n_classes: int

    @classmethod
    def from_items(cls, items: pd.DataFrame, n_classes: int) -> Runs:
        ids = np.sort(items.id.unique())
        first = items.drop_duplicates("id").set_index("id")
        preds = {}
        for (src, size), sub in items.groupby(["source", "size"]):
            table = sub.pivot(index="seed", columns="id", values="pred")
            preds[(src, int(size))] = table[ids].to_numpy()
        return cls(first.loc[ids, "gold"].to_numpy(), preds, n_classes)

    def take(self, idx: np.ndarray) -> Runs:
        return Runs(self.gold[idx], {k: v[:, idx] for k, v in self.preds.items()}, self.n_classes)


# A statistic maps runs to (a, b): per-seed arrays, or scalars when only defined across seeds.
Stat = Callable[[Runs], tuple]


def check(
    runs: Runs, stat: Stat, boot: int, rng: np.random.Generator
) -> dict[str, float | str | int]:
    """Point values, bootstrap interval, seed agreement and verdict of a > b."""
    a, b = stat(runs)
    diff = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    d = float(np.nanmean(diff)) if np.isfinite(diff).any() else np.nan
    n = len(runs.gold)
    draws = []
    for _ in range(boot):
        ra, rb = stat(runs.take(rng.integers(0, n, n)))
        with np.errstate(invalid="ignore"):
            dd = np.asarray(ra, dtype=float) - np.asarray(rb, dtype=float)
        draws.append(np.nanmean(dd) if np.isfinite(dd).any() else np.nan)
    draws = np.asarray(draws)
    finite = draws[np.isfinite(draws)]
    lo, hi = np.percentile(finite, [2.5, 97.5]) if len(finite) >= boot / 2 else (np.nan, np.nan)
    out = {
        "a": float(np.nanmean(a)) if np.isfinite(np.asarray(a, dtype=float)).any() else np.nan,
        "b": float(np.nanmean(b)) if np.isfinite(np.asarray(b, dtype=float)).any() else np.nan,
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


def c1(metric: str, gold: str, llm: str, size: int) -> Stat:
    def stat(r: Runs):
        if metric == "accuracy":
            return accuracy(r.gold, r.preds[(gold, size)]), accuracy(r.gold, r.preds[(llm, size)])
        return (
            macro_f1(r.gold, r.preds[(gold, size)], r.n_classes),
            macro_f1(r.gold, r.preds[(llm, size)], r.n_classes),
        )

    return stat


def c2(metric: str, gold: str, llm: str, size: int) -> Stat:
    fn = alpha_nominal if metric == "alpha" else p_unchanged
    return lambda r: (fn(r.preds[(gold, size)]), fn(r.preds[(llm, size)]))


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


def c5(gold: str, llm: str, ensemble: str, entropy: str, size: int) -> Stat:
    def stat(r: Runs):
        f1 = {
            s: macro_f1(r.gold, r.preds[(s, size)], r.n_classes)
            for s in (gold, llm, ensemble, entropy)
        }
        gap = float(np.mean(f1[gold] - f1[llm]))
        if gap <= 0:
            nan = np.full(len(f1[gold]), np.nan)
            return nan, nan
        return (f1[ensemble] - f1[llm]) / gap, (f1[entropy] - f1[llm]) / gap

    return stat


def _plan(srcs, teachers, small, large, share, names, top):
    """(claim, teacher, quantity, statistic, extra columns) of every check on one dataset."""
    lo_k, hi_k = int(np.argmin(share)), int(np.argmax(share))
    for t in teachers:
        llm = f"{t}/llm"
        for metric in ("accuracy", "macro_f1"):
            yield (
                "C1",
                t,
                f"{metric} at n={large}: gold (a) vs LLM labels (b)",
                c1(metric, "gold", llm, large),
                {},
            )
        for metric in ("alpha", "p_uc"):
            yield (
                "C2",
                t,
                f"{metric} at n={large}: gold (a) vs LLM labels (b)",
                c2(metric, "gold", llm, large),
                {},
            )
        if small != large:
            yield (
                "C3",
                t,
                f"macro-F1 gain n={small}->{large}: gold (a) vs LLM labels (b)",
                c3("gold", llm, small, large),
                {},
            )
        if lo_k != hi_k:
            yield (
                "C4",
                t,
                f"F1 lost (gold minus LLM) at n={large}: minority {names[lo_k]} "
                f"({share[lo_k]:.0%} of pool) (a) vs majority {names[hi_k]} "
                f"({share[hi_k]:.0%}) (b)",
                c4("gold", llm, large, lo_k, hi_k),
                {},
            )
        ens = f"{t}/ensemble"
        entropies = sorted(s for s in srcs if s.startswith(f"{t}/entropy"))
        if ens in srcs:
            for ent in entropies:
                g_a, g_b = top.loc[ens, "gold_train"], top.loc[ent, "gold_train"]
                yield (
                    "C5",
                    t,
                    f"share of the macro-F1 gap recovered at n={large}: ensemble "
                    f"(a, {g_a:g} gold) vs {ent.rpartition('/')[2]} (b, {g_b:g} gold)",
                    c5("gold", llm, ens, ent, large),
                    {"gold_a": g_a, "gold_b": g_b},
                )


def claims_table(
    items: pd.DataFrame,
    summary: pd.DataFrame,
    shares: Mapping[str, np.ndarray],
    n_classes: Mapping[str, int],
    labels: Mapping[str, Sequence[str]],
    boot: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """Rows of C1-C5 for every dataset and teacher the run holds."""
    rng = np.random.default_rng(seed)
    rows = []
    for ds in labels:
        sub = items[items.dataset == ds]
        if sub.empty:
            continue
        runs = Runs.from_items(sub, n_classes[ds])
        sizes = sorted(sub["size"].unique())
        small, large = int(sizes[0]), int(sizes[-1])
        srcs = set(sub.source)
        teachers = [s.rpartition("/")[0] for s in dict.fromkeys(sub.source) if s.endswith("/llm")]
        top = summary[(summary.dataset == ds) & (summary["size"] == large)].set_index("source")
        plan = _plan(srcs, teachers, small, large, np.asarray(shares[ds]), labels[ds], top)
        for claim, teacher, quantity, stat, extra in plan:
            row = {"claim": claim, "dataset": ds, "teacher": teacher, "quantity": quantity}
            rows.append({**row, **check(runs, stat, boot, rng), **extra})
    return pd.DataFrame(rows)


def claims_markdown(table: pd.DataFrame) -> str:
    """A verdict count per claim, then every row with its numbers."""
    lines = ["# The paper's claims on this run", "", __doc__.split("\n\n", 1)[1].strip(), ""]
    for claim, sub in table.groupby("claim"):
        counts = sub.verdict.value_counts()
        tally = ", ".join(f"{n} {v}" for v, n in counts.items())
        lines.append(f"- **{claim}**: {tally} (of {len(sub)} checks)")
    show = table.drop(columns=[c for c in ("gold_a", "gold_b") if c in table])
    lines += ["", show.to_markdown(index=False, floatfmt=".3f", missingval="–"), ""]
    return "\n".join(lines)
