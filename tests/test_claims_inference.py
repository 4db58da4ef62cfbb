"""The tests behind the verdicts, on hand-computed cases, and the pseudo-values against brute
force (every deletion recomputed with scikit-learn or krippendorff)."""

import krippendorff
import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import f1_score

from labelrisk.artefacts.claims.inference import crossed, holm, mean_squares, seed_variances
from labelrisk.artefacts.claims.pseudo import (
    chance_agreement,
    scores,
    stability,
    symmetric_f1,
    two_way,
)

pytestmark = pytest.mark.unit

TABLE = np.array([[1.0, 2.0, 3.0], [3.0, 4.0, 8.0]])


def test_mean_squares_hand_computed():
    # grand 3.5; seed means 2, 5; item means 2, 3, 5.5
    # MS_seed = 3 * ((1.5^2 + 1.5^2) / 1) = 13.5; MS_item = 2 * (2.25 + 0.25 + 4) / 2 = 6.5
    # residuals: [[.5, .5, -1], [-.5, -.5, 1]] -> SS 3, df 2, MS 1.5
    assert mean_squares(TABLE) == pytest.approx((13.5, 6.5, 1.5))


TABLE3 = np.array([[1.0, 2.0, 3.0], [3.0, 4.0, 8.0], [2.0, 3.0, 4.0]])


def test_crossed_variance_and_satterthwaite_df():
    # grand 10/3; seed means 2, 5, 3 and item means 2, 3, 5: both mean squares
    # 3 * (16/9 + 25/9 + 1/9) / 2 = 7
    ms_seed, ms_item, ms_resid = mean_squares(TABLE3)
    assert (ms_seed, ms_item) == pytest.approx((7.0, 7.0))
    out = crossed(10 / 3, TABLE3)
    total = ms_seed + ms_item - ms_resid
    # the df take MS_seed at its 90% upper bound: 2 MS_seed / chi2(0.1; 2) = 7 / 0.10536
    up = 2 * ms_seed / stats.chi2.ppf(0.1, 2)
    assert up == pytest.approx(66.44, abs=0.01)
    df = (up + ms_item - ms_resid) ** 2 / (up**2 / 2 + ms_item**2 / 2 + ms_resid**2 / 4)
    assert out.df == pytest.approx(df) and out.se == pytest.approx(np.sqrt(total / 9))
    half = stats.t.ppf(0.975, df) * np.sqrt(total / 9)
    assert (out.low, out.high) == pytest.approx((10 / 3 - half, 10 / 3 + half))
    assert out.p == pytest.approx(2 * stats.t.sf(10 / 3 / np.sqrt(total / 9), df))


def test_crossed_floors_a_negative_component_and_keeps_its_df():
    # No seed effect beyond the interaction: MS_seed = 0 < MS_resid. The seed mean square is
    # raised to the residual one and keeps its seeds - 1 = 2 degrees of freedom, so the df
    # stay small instead of jumping to items - 1.
    table = np.array([[0.0, 1.0, 5.0, 2.0], [1.0, 0.0, 5.0, 2.0], [0.5, 0.5, 5.0, 2.0]])
    ms_seed, ms_item, ms_resid = mean_squares(table)
    assert ms_seed == 0 and ms_resid > 0
    out = crossed(table.mean(), table)
    up = 2 * ms_resid / stats.chi2.ppf(0.1, 2)
    df = (up + ms_item - ms_resid) ** 2 / (up**2 / 2 + ms_item**2 / 3 + ms_resid**2 / 6)
    assert out.df == pytest.approx(df) and out.se == pytest.approx(np.sqrt(ms_item / 12))
    assert out.df < 4  # near seeds - 1 = 2, not items - 1 = 3


def test_crossed_needs_three_seeds():
    assert np.isnan(crossed(3.5, TABLE).p)  # two seeds: no verdict


def test_crossed_df_seeds_minus_one_where_seeds_dominate_many_where_items_do():
    rng = np.random.default_rng(0)
    table = rng.normal(0, 5, (5, 1))[:, [0] * 200] + rng.normal(0, 0.01, (5, 200))
    assert crossed(table.mean(), table).df == pytest.approx(4, abs=0.01)
    items = rng.normal(0, 1, (1, 200))[[0] * 5] + rng.normal(0, 0.1, (5, 200))
    assert crossed(items.mean(), items).df > 100


def test_crossed_p_is_zero_only_without_any_noise():
    assert crossed(0.0, np.zeros((3, 4))).p == 1.0
    certain = crossed(1.0, np.ones((3, 4)))
    assert certain.p == 0.0 and certain.low == certain.high == 1.0
    # seeds and items both without effect, the interaction not: noise, so p > 0
    inter = np.array([[1.0, -1.0], [-1.0, 1.0], [0.0, 0.0]])[:, [0, 1] * 50] + 0.2
    ms_seed, ms_item, ms_resid = mean_squares(inter)
    assert ms_seed == pytest.approx(0) and ms_item == pytest.approx(0) and ms_resid > 0
    out = crossed(0.2, inter)
    assert 0 < out.p < 1 and out.low < out.high


def test_brown_forsythe_on_paired_seed_spreads():
    a = np.array([0.70, 0.80, 0.75, 0.60, 0.85, 0.65])
    b = np.array([0.78, 0.79, 0.80, 0.77, 0.81, 0.78])
    out = seed_variances(a, b)
    d = np.abs(a - np.median(a)) - np.abs(b - np.median(b))
    assert out.p == pytest.approx(stats.ttest_1samp(d, 0).pvalue)
    assert out.estimate == pytest.approx(np.std(a, ddof=1) - np.std(b, ddof=1))
    assert np.isnan(out.low) and out.df == 5
    assert seed_variances(a, a + 0.1).p == 1.0  # a shift leaves the spread equal
    assert seed_variances(a, 1 - a).p == 1.0
    assert np.isnan(seed_variances(a[:5], b[:5]).p)  # fewer than 6 seeds
    # one bad seed: |deviations| differ on one seed only, t = 1, p far from 0.05
    bad = b.copy()
    bad[2] -= 0.3
    assert seed_variances(bad, b).p > 0.3


def test_holm_hand_computed():
    # sorted 0.01, 0.03, 0.04 -> x3, x2, x1 = 0.03, 0.06, 0.04 -> monotone 0.03, 0.06, 0.06
    np.testing.assert_allclose(holm([0.04, 0.01, 0.03]), [0.06, 0.03, 0.06])
    out = holm([0.2, np.nan, 0.7])  # 0.2 x 2 = 0.4, then 0.7 x 1
    assert out[0] == pytest.approx(0.4) and np.isnan(out[1]) and out[2] == pytest.approx(0.7)
    np.testing.assert_allclose(holm([0.6, 0.7]), [1.0, 1.0])  # 1.2 capped at 1, then monotone
    assert len(holm([])) == 0


GOLD = np.array([0, 1, 2, 2, 1, 0, 0, 2, 1, 1, 0, 2])
PREDS = np.array(
    [
        [0, 1, 2, 1, 1, 0, 2, 2, 1, 0, 0, 2],
        [0, 1, 1, 2, 1, 0, 0, 2, 2, 1, 1, 2],
        [1, 1, 2, 2, 0, 0, 0, 2, 1, 1, 0, 0],
        [0, 0, 0, 2, 1, 0, 0, 2, 1, 1, 0, 2],
    ]
)


def test_scores_match_scikit_learn_and_brute_force_pseudo_values():
    s = scores(GOLD, PREDS, 3)
    n = len(GOLD)
    for seed, pred in enumerate(PREDS):
        ref = f1_score(GOLD, pred, average=None, labels=[0, 1, 2], zero_division=0)
        np.testing.assert_allclose(s.class_f1[seed], ref)
        for i in range(n):
            keep = np.arange(n) != i
            f1 = f1_score(
                GOLD[keep], pred[keep], average="macro", labels=[0, 1, 2], zero_division=0
            )
            assert s.macro_f1_ps[seed, i] == pytest.approx(n * s.macro_f1[seed] - (n - 1) * f1)
    np.testing.assert_array_equal(s.correct, PREDS == GOLD)
    assert s.largest_share[3] == pytest.approx(6 / 12)  # seed 4 predicts class 0 six times


def _pairwise(p):
    s = len(p)
    return np.mean([(p[a] == p[b]).mean() for a in range(s) for b in range(a + 1, s)])


def _alpha(p):
    return krippendorff.alpha(reliability_data=p.astype(float), level_of_measurement="nominal")


@pytest.mark.parametrize("name,fn", [("agreement", _pairwise), ("alpha", _alpha)])
def test_stability_pseudo_values_by_brute_force(name, fn):
    st = stability(PREDS, 3)
    s, n = PREDS.shape
    assert getattr(st, name) == pytest.approx(fn(PREDS))
    t_seed = [fn(np.delete(PREDS, k, 0)) for k in range(s)]
    t_item = [fn(np.delete(PREDS, i, 1)) for i in range(n)]
    t_both = [[fn(np.delete(np.delete(PREDS, k, 0), i, 1)) for i in range(n)] for k in range(s)]
    ps = two_way(fn(PREDS), t_seed, t_item, np.array(t_both))
    np.testing.assert_allclose(getattr(st, f"{name}_ps"), ps, atol=1e-9)


def test_two_way_pseudo_values_of_a_mean_are_the_values():
    x = TABLE
    s, n = x.shape
    ps = two_way(
        x.mean(),
        [np.delete(x, k, 0).mean() for k in range(s)],
        [np.delete(x, i, 1).mean() for i in range(n)],
        np.array(
            [[np.delete(np.delete(x, k, 0), i, 1).mean() for i in range(n)] for k in range(s)]
        ),
    )
    np.testing.assert_allclose(ps, x)


def _chance(gold, p):
    """Two distinct predictions of one gold class, drawn without replacement from every seed's
    predictions of that class's items, agree: averaged over items by their gold class."""
    out = []
    for i in range(len(gold)):
        pool = p[:, gold == gold[i]].ravel()
        same = sum(
            (pool[a] == pool[b]) for a in range(len(pool)) for b in range(len(pool)) if a != b
        )
        out.append(same / (len(pool) * (len(pool) - 1)))
    return np.mean(out)


def test_chance_agreement_and_its_pseudo_values_by_brute_force():
    t, ps = chance_agreement(GOLD, PREDS, 3)
    s, n = PREDS.shape
    assert t == pytest.approx(_chance(GOLD, PREDS))
    t_seed = [_chance(GOLD, np.delete(PREDS, k, 0)) for k in range(s)]
    t_item = [_chance(np.delete(GOLD, i), np.delete(PREDS, i, 1)) for i in range(n)]
    t_both = [
        [_chance(np.delete(GOLD, i), np.delete(np.delete(PREDS, k, 0), i, 1)) for i in range(n)]
        for k in range(s)
    ]
    np.testing.assert_allclose(ps, two_way(t, t_seed, t_item, np.array(t_both)), atol=1e-9)


def _symmetric(gold, base, other_acc, k=3):
    """Expected per-class F1 of `base` after each prediction is moved, with probability eps,
    to one of the k - 1 other classes at random, eps chosen to reach accuracy `other_acc`."""
    acc = (base == gold).mean()
    eps = (acc - other_acc) / (acc - (1 - acc) / (k - 1))
    conf = np.zeros((k, k))
    for g, p in zip(gold, base, strict=True):
        conf[g, p] += 1 - eps
        for c in range(k):
            if c != p:
                conf[g, c] += eps / (k - 1)
    tp, pred, act = np.diag(conf), conf.sum(0), conf.sum(1)
    return 2 * tp / (pred + act)


def test_symmetric_noise_f1_and_its_pseudo_values_by_brute_force():
    other = np.roll(PREDS, 1, axis=1)
    f1, ps = symmetric_f1(GOLD, PREDS, other, 3)
    n = len(GOLD)
    for seed in range(len(PREDS)):
        acc = (other[seed] == GOLD).mean()
        np.testing.assert_allclose(f1[seed], _symmetric(GOLD, PREDS[seed], acc))
        for i in (0, 5, n - 1):
            keep = np.arange(n) != i
            acc_i = (other[seed][keep] == GOLD[keep]).mean()
            ref = n * f1[seed] - (n - 1) * _symmetric(GOLD[keep], PREDS[seed][keep], acc_i)
            np.testing.assert_allclose(ps[seed, i], ref)
    # at the same accuracy, no noise: the base students' own F1
    same_f1, _ = symmetric_f1(GOLD, PREDS, PREDS, 3)
    np.testing.assert_allclose(same_f1, scores(GOLD, PREDS, 3).class_f1)
