"""compare(): the lift statistics against independent calculations, on Hillstrom and on
tables small enough to check by hand."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep

from tenure.actions import compare
from tenure.errors import InputError

ARMS = ["Mens E-Mail", "Womens E-Mail"]
Z = stats.norm.ppf(0.975)


def _wilson(k: float, n: float) -> tuple[float, float]:
    p = k / n
    centre = (p + Z**2 / (2 * n)) / (1 + Z**2 / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n * n)) / (1 + Z**2 / n)
    return centre - half, centre + half


def _newcombe(k1: int, n1: int, k2: int, n2: int) -> tuple[float, float]:
    """Newcombe (1998), method 10, written out from the paper."""
    p1, p2 = k1 / n1, k2 / n2
    (l1, u1), (l2, u2) = _wilson(k1, n1), _wilson(k2, n2)
    d = p1 - p2
    return d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), \
        d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


@pytest.fixture(scope="module")
def result(hillstrom):
    return compare(hillstrom, group="segment", control="No E-Mail",
                   outcomes=["visit", "conversion", "spend"], covariate="history")


def _row(result, arm, outcome):
    frame = result.frame
    return frame[(frame["arm"] == arm) & (frame["outcome"] == outcome)].iloc[0]


def test_hillstrom_group_figures_and_differences(result):
    frame = result.frame
    assert frame[["arm", "outcome"]].values.tolist() == [
        [arm, outcome] for arm in ARMS for outcome in ("visit", "conversion", "spend")]
    assert frame["kind"].tolist() == ["rate", "rate", "mean"] * 2
    assert frame["method"].tolist() == ["newcombe", "newcombe", "welch"] * 2
    mens = _row(result, "Mens E-Mail", "visit")
    assert (mens["n_treated"], mens["n_control"]) == (21_307, 21_306)
    # 3,894 of 21,307 men's e-mail customers visited, 2,262 of 21,306 without an e-mail.
    assert mens["treated_mean"] == 3_894 / 21_307
    assert mens["control_mean"] == 2_262 / 21_306
    assert mens["difference"] == pytest.approx(3_894 / 21_307 - 2_262 / 21_306, abs=1e-15)
    assert mens["relative_lift"] == pytest.approx((3_894 / 21_307) / (2_262 / 21_306) - 1)
    # The published figures: 18.28% against 10.62% visits, $1.42 against $0.65 spend.
    assert round(mens["treated_mean"] * 100, 2) == 18.28
    assert round(mens["control_mean"] * 100, 2) == 10.62
    spend = _row(result, "Mens E-Mail", "spend")
    assert (round(spend["treated_mean"], 2), round(spend["control_mean"], 2)) == (1.42, 0.65)
    assert spend["difference"] == pytest.approx(30_311.69 / 21_307 - 13_908.33 / 21_306)
    womens = _row(result, "Womens E-Mail", "conversion")
    # 189 of 21,387 bought after the women's e-mail: 0.88% against 0.57%.
    assert womens["treated_mean"] == 189 / 21_387
    assert (round(womens["treated_mean"] * 100, 2), round(womens["control_mean"] * 100, 2)) \
        == (0.88, 0.57)
    # Every e-mail raised every outcome, clearly.
    assert set(frame["verdict"]) == {"higher"}
    assert (frame["extra_units"] == 0).all()


@pytest.mark.parametrize("arm", ARMS)
@pytest.mark.parametrize("outcome", ["visit", "conversion"])
def test_rates_get_newcombes_interval(hillstrom, result, arm, outcome):
    row = _row(result, arm, outcome)
    treated = hillstrom.loc[hillstrom["segment"] == arm, outcome]
    control = hillstrom.loc[hillstrom["segment"] == "No E-Mail", outcome]
    k1, n1, k2, n2 = int(treated.sum()), len(treated), int(control.sum()), len(control)
    low, high = _newcombe(k1, n1, k2, n2)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high), abs=1e-12)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(
        confint_proportions_2indep(k1, n1, k2, n2, method="newcomb"), abs=1e-12)
    # The score test at a difference of 0 is the pooled two-proportion z-test, times the
    # Miettinen-Nurminen factor n / (n - 1).
    pooled = (k1 + k2) / (n1 + n2)
    z = (k1 / n1 - k2 / n2) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2)
                                        * (n1 + n2) / (n1 + n2 - 1))
    assert row["p_value"] == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-6)


@pytest.mark.parametrize("arm", ARMS)
def test_spend_gets_welchs_interval(hillstrom, result, arm):
    row = _row(result, arm, "spend")
    treated = hillstrom.loc[hillstrom["segment"] == arm, "spend"].to_numpy()
    control = hillstrom.loc[hillstrom["segment"] == "No E-Mail", "spend"].to_numpy()
    test = stats.ttest_ind(treated, control, equal_var=False)
    interval = test.confidence_interval(0.95)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((interval.low, interval.high),
                                                            rel=1e-9)
    assert row["p_value"] == pytest.approx(test.pvalue, rel=1e-9)


@pytest.mark.parametrize("arm", ARMS)
@pytest.mark.parametrize("outcome", ["visit", "conversion", "spend"])
def test_cuped_on_past_year_spend(hillstrom, result, arm, outcome):
    row = _row(result, arm, outcome)
    pair = hillstrom[hillstrom["segment"].isin([arm, "No E-Mail"])]
    y, x = pair[outcome].to_numpy(float), pair["history"].to_numpy(float)
    # Deng et al. (2013): theta from the pooled units, then Y - theta (X - mean X).
    theta = np.cov(y, x)[0, 1] / np.var(x, ddof=1)
    adjusted = y - theta * (x - x.mean())
    treated = (pair["segment"] == arm).to_numpy()
    test = stats.ttest_ind(adjusted[treated], adjusted[~treated], equal_var=False)
    interval = test.confidence_interval(0.95)
    assert row["theta"] == pytest.approx(theta, rel=1e-9)
    assert row["adjusted_difference"] == pytest.approx(
        adjusted[treated].mean() - adjusted[~treated].mean(), rel=1e-9)
    assert (row["adjusted_ci_low"], row["adjusted_ci_high"]) == pytest.approx(
        (interval.low, interval.high), rel=1e-9)
    assert row["adjusted_p_value"] == pytest.approx(test.pvalue, rel=1e-6)
    def variance(values):   # of the difference in means
        return (values[treated].var(ddof=1) / treated.sum()
                + values[~treated].var(ddof=1) / (~treated).sum())

    assert row["variance_reduction"] == pytest.approx(1 - variance(adjusted) / variance(y),
                                                      rel=1e-9)


def test_cuped_barely_helps_on_hillstrom_because_history_hardly_predicts_a_visit(result):
    # Past-year spend explains under 0.5% of the variance of a two-week visit (rho^2), so
    # the interval narrows by less than 0.25%: CUPED is only as good as its covariate.
    reduction = result.frame.set_index(["arm", "outcome"])["variance_reduction"]
    assert 0.003 < reduction["Mens E-Mail", "visit"] < 0.005
    assert 0 < reduction.max() < 0.005
    assert result.headline["mean_variance_reduction"] == pytest.approx(reduction.mean())


def test_cuped_narrows_the_interval_when_the_covariate_predicts(tmp_path):
    from tenure.actions import simulate_experiment

    units = simulate_experiment(40_000, lift={"email": 0.1}, seed=3)
    result = compare(units, group="group", control="control",
                     outcomes=["purchased", "spend"], covariate="pre_spend")
    frame = result.frame.set_index("outcome")
    # Last year's spend carries a customer's purchase rate: a quarter of the variance of the
    # month's spend, a sixth of that of buying at all, goes.
    assert 0.2 < frame.loc["spend", "variance_reduction"] < 0.33
    assert 0.1 < frame.loc["purchased", "variance_reduction"] < 0.2
    plain = frame["ci_high"] - frame["ci_low"]
    adjusted = frame["adjusted_ci_high"] - frame["adjusted_ci_low"]
    # Width shrinks with the square root of the variance left.
    assert (adjusted / plain).loc["spend"] == pytest.approx(
        math.sqrt(1 - frame.loc["spend", "variance_reduction"]), rel=0.01)


def _tiny() -> pd.DataFrame:
    return pd.DataFrame({
        "group": ["A"] * 5 + ["B"] * 5,
        #          A (control)      B (treated)
        "bought": [1, 0, 0, 0, 0, 1, 1, 0, 0, 0],
        "spend": [20.0, 0, 0, 0, 0, 30.0, 10, 0, 0, 0],
    })


def test_a_table_small_enough_to_check_by_hand():
    result = compare(_tiny(), group="group", control="A", outcomes=["bought", "spend"],
                     min_units=2, arrivals=20)
    bought, spend = (result.frame.iloc[i] for i in (0, 1))
    # Rates: 1 of 5 against 2 of 5, a difference of 0.2 and a relative lift of 100%.
    assert (bought["control_mean"], bought["treated_mean"]) == (0.2, 0.4)
    assert bought["difference"] == pytest.approx(0.2)
    assert bought["relative_lift"] == pytest.approx(1.0)
    assert (bought["ci_low"], bought["ci_high"]) == pytest.approx(_newcombe(2, 5, 1, 5))
    # Spend: means 4 (20 / 5) and 8 (40 / 5); variances 80 (320 / 4) and 170 (680 / 4).
    assert (spend["control_mean"], spend["treated_mean"]) == (4.0, 8.0)
    # Standard error sqrt(80/5 + 170/5) = sqrt(50); Welch's degrees of freedom
    # 50^2 / (16^2/4 + 34^2/4) = 2500 / 353.
    half = stats.t.ppf(0.975, 2500 / 353) * math.sqrt(50)
    assert (spend["ci_low"], spend["ci_high"]) == pytest.approx((4 - half, 4 + half))
    # Both intervals span zero: inconclusive. The units needed grow with the square of
    # (half-width / difference): 10 units now, 10 * (half / 4)^2 needed.
    assert result.frame["verdict"].tolist() == ["inconclusive", "inconclusive"]
    assert spend["extra_units"] == math.ceil(10 * ((half / 4) ** 2 - 1))
    # Twenty new units a week, all of them into these two groups.
    assert spend["weeks_needed"] == pytest.approx(spend["extra_units"] / 20)
    assert "inconclusive; about" in result.lines()[1]


def test_a_daily_arrival_rate_counts_seven_days_a_week():
    weekly = compare(_tiny(), group="group", control="A", outcomes="spend", min_units=2,
                     arrivals=70).frame["weeks_needed"].iloc[0]
    daily = compare(_tiny(), group="group", control="A", outcomes="spend", min_units=2,
                    arrivals=10, arrivals_per="day").frame["weeks_needed"].iloc[0]
    assert daily == pytest.approx(weekly)


def test_a_drop_in_the_treated_group_is_called_lower():
    frame = pd.DataFrame({"group": ["control"] * 400 + ["treated"] * 400,
                          # 40% against 20% bought
                          "bought": [1] * 160 + [0] * 240 + [1] * 80 + [0] * 320})
    row = compare(frame, group="group", control="control", outcomes="bought").frame.iloc[0]
    assert row["difference"] == pytest.approx(-0.2)
    assert row["ci_high"] < 0 and row["verdict"] == "lower" and row["extra_units"] == 0


def test_sample_ratio_mismatch_is_flagged_against_the_planned_split():
    frame = pd.DataFrame({"group": ["control"] * 5_000 + ["treated"] * 5_400,
                          "bought": ([1, 0, 0, 0] * 2_600)})
    even = compare(frame, group="group", control="control", outcomes="bought")
    # Expected 5,200 each: chi-square (200^2 + 200^2) / 5,200 = 15.4, p = 8.8e-5.
    assert even.sample_ratio.statistic == pytest.approx(80_000 / 5_200)
    assert even.sample_ratio.p_value == pytest.approx(stats.chi2.sf(80_000 / 5_200, 1))
    assert even.sample_ratio.mismatch and even.headline["sample_ratio_mismatch"]
    assert "unlikely under the planned split" in even.lines()[-1]
    # Planned 48/52, expected 4,992 and 5,408: 8^2/4,992 + 8^2/5,408, far from an alarm.
    planned = compare(frame, group="group", control="control", outcomes="bought",
                      expected={"control": 48, "treated": 52})
    assert planned.sample_ratio.statistic == pytest.approx(64 / 4_992 + 64 / 5_408)
    assert not planned.sample_ratio.mismatch


def test_headline_chart_and_json(result):
    headline = result.headline
    assert headline["units"] == 64_000 and headline["groups"] == 3
    assert (headline["higher"], headline["lower"], headline["inconclusive"]) == (6, 0, 0)
    # Men's e-mail more than doubled conversion: +118.8%.
    assert headline["largest_relative_lift_of"] == "Mens E-Mail: conversion"
    assert headline["largest_relative_lift"] == pytest.approx(
        (267 / 21_307) / (122 / 21_306) - 1)
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert len(data["rows"]) == 6 and data["rows"][0]["weeks_needed"] is None
    assert data["sample_ratio"]["counts"] == [21_306, 21_307, 21_387]
    spec = result.chart().to_dict()
    assert spec["facet"]["column"]["field"] == "outcome"
    assert {row["estimate"] for row in spec["datasets"][next(iter(spec["datasets"]))]} == {
        "plain", "CUPED"}
    assert repr(result) == "Comparison(2 arms against 'No E-Mail', 3 outcomes, 64,000 units)"


def test_group_labels_need_not_be_strings():
    frame = pd.DataFrame({"arm": [0] * 60 + [1] * 60, "bought": [0, 1] * 60})
    result = compare(frame, group="arm", control=0, outcomes="bought")
    assert result.frame["arm"].tolist() == [1]
    assert result.frame["difference"].iloc[0] == 0
    # No difference at all: inconclusive, and no sample size would change that.
    assert result.frame["verdict"].iloc[0] == "inconclusive"
    assert pd.isna(result.frame["extra_units"].iloc[0])
    assert json.loads(json.dumps(result.to_dict()))["rows"][0]["extra_units"] is None


@pytest.mark.parametrize(("change", "message"), [
    ({"group": "arm"}, r"group='arm' is not a column of the frame; name one of 'group'"),
    ({"control": "Z"}, r"control='Z' is not a value of column 'group'; use one of 'A', 'B'"),
    ({"outcomes": []}, r"outcomes is empty"),
    ({"outcomes": ["spent"]}, r"outcome='spent' is not a column"),
    ({"outcomes": ["group"]}, r"'group' is the group column"),
    ({"outcomes": ["spend", "spend"]}, r"repeat a column"),
    ({"outcomes": ["label"]}, r"outcome column 'label' holds object values"),
    ({"outcomes": ["gaps"]}, r"outcome column 'gaps' has 1 missing values \(the first at row 3\)"),
    ({"covariate": "spend"}, r"covariate 'spend' is also the group or an outcome"),
    ({"covariate": "flat"}, r"covariate 'flat' does not vary within the groups"),
    ({"confidence": 95}, r"confidence=95 should be a number between 0 and 1"),
    ({"min_units": 6}, r"group 'A' has 5 units, fewer than the 6 an interval needs"),
    ({"arrivals": -3}, r"arrivals=-3 should be a positive number of new units per week"),
    ({"arrivals_per": "month"}, r"arrivals_per='month' is not a period"),
    ({"expected": {"A": 1, "C": 1}}, r"expected names 'C', which is not a group"),
    ({"expected": {"A": 1, "B": 0}}, r"should all be positive numbers"),
])
def test_bad_input_fails_with_one_sentence(change, message):
    frame = _tiny().assign(label="x", gaps=[1.0, 2, np.nan, 0, 0, 0, 0, 0, 0, 0], flat=1.0)
    options = {"group": "group", "control": "A", "outcomes": ["spend"], "min_units": 2,
               **change}
    with pytest.raises(InputError, match=message) as caught:
        compare(frame, **options)
    assert "\n" not in str(caught.value)


def test_missing_groups_and_a_lone_control_are_refused():
    frame = _tiny()
    frame.loc[7, "group"] = None
    with pytest.raises(InputError, match=r"group column 'group' has 1 missing values"):
        compare(frame, group="group", control="A", outcomes="spend", min_units=2)
    with pytest.raises(InputError, match=r"holds only the control group 'A'"):
        compare(_tiny().head(5), group="group", control="A", outcomes="spend", min_units=2)


def test_an_outcome_that_never_varies_keeps_its_plain_interval_under_cuped():
    # 120 treated and 80 control customers, every one renewed, last year's spend 0..199:
    # CUPED has nothing to explain, and a zero-width interval would claim certainty that
    # the difference is exactly 0. Newcombe's interval for 120/120 against 80/80 is kept.
    frame = pd.DataFrame({"group": ["treatment"] * 120 + ["control"] * 80, "renewed": 1.0,
                          "spend": np.arange(200.0)})
    plain = compare(frame, group="group", control="control", outcomes="renewed").frame
    result = compare(frame, group="group", control="control", outcomes="renewed",
                     covariate="spend").frame
    assert plain["ci_low"][0] < 0 < plain["ci_high"][0]
    assert result["adjusted_difference"][0] == 0
    assert result["adjusted_ci_low"][0] == plain["ci_low"][0]
    assert result["adjusted_ci_high"][0] == plain["ci_high"][0]
    assert result["verdict"][0] == "inconclusive"
