"""The 95% intervals cover the truth 95% of the time: on simulated experiments with known
effects (none, in the A/A case) and on Hillstrom spend resampled at a smaller size."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tenure.actions import compare, simulate_experiment

SEEDS = 1_000
# With 1,000 replicates the coverage's standard error is sqrt(0.95 * 0.05 / 1000) = 0.7
# points; the bounds below are about three of them either side of 95%.
LOW, HIGH = 0.93, 0.97


def _covered(frame: pd.DataFrame, truth: dict[str, float], prefix: str = "") -> pd.Series:
    target = frame["outcome"].map(truth)
    return ((frame[f"{prefix}ci_low"] <= target) & (target <= frame[f"{prefix}ci_high"]))


def _coverage(lift: float, truth: dict[str, float]) -> pd.DataFrame:
    rows = []
    for seed in range(SEEDS):
        units = simulate_experiment(4_000, lift={"email": lift}, seed=seed)
        frame = compare(units, group="group", control="control",
                        outcomes=["purchased", "spend"], covariate="pre_spend").frame
        rows.append(pd.DataFrame({"outcome": frame["outcome"],
                                  "plain": _covered(frame, truth),
                                  "cuped": _covered(frame, truth, "adjusted_")}))
    return pd.concat(rows).groupby("outcome")[["plain", "cuped"]].mean()


@pytest.mark.slow
def test_a_a_intervals_cover_zero_95_percent_of_the_time():
    # Both groups drawn alike: the true difference is 0 for buying and for spend (81% of
    # customers spend nothing in the month; the rest a gamma amount around their own mean).
    coverage = _coverage(0.0, {"purchased": 0.0, "spend": 0.0})
    assert coverage.to_numpy().min() > LOW and coverage.to_numpy().max() < HIGH, coverage


@pytest.mark.slow
def test_intervals_cover_a_known_effect_95_percent_of_the_time():
    # Purchase rates are gamma(0.5, scale 0.5) a month, so P(buy) = 1 - (1 + 0.5 m)^-0.5
    # with m = 1 untreated and 1.1 treated; spend rises by 10% of 0.25 purchases * $50.
    truth = {"purchased": 1.5**-0.5 - 1.55**-0.5, "spend": 0.25 * 50 * 0.1}
    coverage = _coverage(0.1, truth)
    assert coverage.to_numpy().min() > LOW and coverage.to_numpy().max() < HIGH, coverage


@pytest.mark.slow
def test_welch_covers_hillstrom_spend_at_two_thousand_customers_an_arm(hillstrom):
    # Each arm's 21,000 customers stand in for its population, whose true difference in
    # spend is known; 2,000 customers an arm leave about 12 to 25 buyers each.
    spend = {arm: part.to_numpy() for arm, part in
             hillstrom.groupby("segment", observed=True)["spend"]}
    truth = {arm: spend[arm].mean() - spend["No E-Mail"].mean()
             for arm in ("Mens E-Mail", "Womens E-Mail")}
    rng = np.random.default_rng(2008)
    hits = {arm: 0 for arm in truth}
    labels = np.repeat(["No E-Mail", "Mens E-Mail", "Womens E-Mail"], 2_000)
    for _ in range(SEEDS):
        sample = pd.DataFrame({"segment": labels, "spend": np.concatenate([
            rng.choice(spend[arm], 2_000) for arm in ("No E-Mail", *truth)])})
        frame = compare(sample, group="segment", control="No E-Mail", outcomes="spend").frame
        for row in frame.itertuples():
            hits[row.arm] += row.ci_low <= truth[row.arm] <= row.ci_high
    assert all(LOW < hits[arm] / SEEDS < HIGH for arm in truth), hits
