"""The detectable cost (labelrisk.artefacts.claims.power) on hand-computed cases."""

import numpy as np
import pytest
from scipy import stats

from labelrisk.artefacts.claims import power
from labelrisk.artefacts.claims.inference import crossed

pytestmark = pytest.mark.unit


def test_detectable_cost_is_the_normal_formula_at_many_df():
    # z(0.975) + z(0.8) = 1.960 + 0.842 = 2.802 standard errors
    assert power.detectable(0.01, 1e6) == pytest.approx(0.02802, abs=2e-5)
    # fewer degrees of freedom: a wider t quantile, a larger detectable cost
    assert power.detectable(0.01, 4) > power.detectable(0.01, 20) > 0.028
    assert np.isnan(power.detectable(np.nan, 4)) and np.isnan(power.detectable(0.01, 0))


def test_the_found_cost_has_80_percent_power():
    se, df = 0.02, 6
    delta = power.detectable(se, df)
    crit = stats.t.ppf(0.975, df)
    found = stats.nct.sf(crit, df, delta / se) + stats.nct.cdf(-crit, df, delta / se)
    assert found == pytest.approx(0.8, abs=1e-6)


def test_variance_model_matches_the_crossed_test_on_its_expected_mean_squares():
    c = power.Components(seed_var=0.0016, item_var=0.10, interaction_var=0.08)
    se, df = power.se_and_df(5, 200, c)
    # E MS_seed = 200 x 0.0016 + 0.08 = 0.40, E MS_item = 5 x 0.10 + 0.08 = 0.58, resid 0.08:
    # Var = (0.40 + 0.58 - 0.08) / 1000 = 0.0009
    assert se == pytest.approx(0.03)
    # the df as the crossed test takes them: MS_seed at its 90% upper bound 4 x 0.4 / chi2(0.1; 4)
    up = 4 * 0.4 / stats.chi2.ppf(0.1, 4)
    assert df == pytest.approx((up + 0.5) ** 2 / (up**2 / 4 + 0.58**2 / 199 + 0.08**2 / 796))
    # the crossed test, given a table with exactly these mean squares, agrees
    rng = np.random.default_rng(1)
    table = (
        rng.normal(0, np.sqrt(0.0016), (5, 1))
        + rng.normal(0, np.sqrt(0.10), (1, 200))
        + rng.normal(0, np.sqrt(0.08), (5, 200))
    )
    t = crossed(table.mean(), table)
    assert t.se == pytest.approx(se, rel=0.5)


def test_more_seeds_or_items_shrink_the_detectable_cost():
    lines = power.plan_lines(5, 200)
    x = 100 * power.detectable(*power.se_and_df(5, 200))
    assert f"accuracy cost of {x:.1f} points or more 80% of the time" in lines[0]
    table = [row for row in lines if row.startswith("| 10 |")][0]
    cells = [float(x) for x in table.strip("| ").split(" | ")[1:]]
    assert cells == sorted(cells, reverse=True) and cells[0] < x
