"""Kaplan-Meier retention and Cox hazard ratios."""

from __future__ import annotations

import pytest

from tenure.churn import survival


def test_kaplan_meier_on_the_tiny_shop(tiny):
    # Lifetimes with a 90-day horizon, observed until the data ends on 2024-12-02:
    # C1 2024-01-01 to 2024-07-10: 191 days, then 145 silent days: churned.
    # C2 and C3 bought once: 0 days, churned. C4 2024-08-01 to 2024-12-01: 122 days, still
    # buying (censored).
    result = survival(tiny, horizon="90D", by=["segment"])
    groups = result.groups.set_index("group")
    assert groups.loc["consumer", ["customers", "churned"]].tolist() == [2, 1]  # C3, C4
    assert groups.loc["smb", ["customers", "churned", "median_days"]].tolist() == [1, 1, 191]
    curves = result.curves.set_index(["group", "day"])["retained"]
    assert curves[("consumer", 0.0)] == 0.5  # C3 ends on day 0; C4 is censored at 122
    assert curves[("consumer", 122.0)] == 0.5
    assert curves[("smb", 191.0)] == 0.0
    assert result.observed_until.isoformat() == "2024-12-02"
    # Two customers in the snapshot are too few for hazard ratios; the result says so.
    assert result.hazard_ratios.empty and "too few customers for a Cox model" in result.cox_note
    assert result.cox_note in result.summary()


def test_contractual_lifetimes_are_memberships(tiny):
    # C1's gold membership ran 2023-09-01 to 2024-09-01 (366 days, 2024 is a leap year) and
    # C2's silver one 2023-01-01 to 2024-01-01 (365 days); both ended before 2024-12-02.
    result = survival(tiny, definition="contractual", horizon="30D", by=["membership_tier"])
    groups = result.groups.set_index("group")
    assert groups.loc["gold", ["customers", "churned", "median_days"]].tolist() == [1, 1, 366]
    assert groups.loc["silver", ["customers", "churned", "median_days"]].tolist() == [1, 1, 365]
    assert "contractual" in result.summary()


@pytest.mark.slow
def test_retention_follows_the_simulated_dropout_by_channel(sim20k):
    # The simulator scales dropout by 0.7 for referral customers and 1.3 for marketplace ones.
    result = survival(sim20k[0], horizon="120D")
    groups = result.groups[result.groups["by"] == "acquisition_channel"].set_index("group")
    assert groups.loc["referral", "median_days"] > groups.loc["marketplace", "median_days"]
    curves = result.curves[result.curves["by"] == "acquisition_channel"]

    def retained(group: str, day: int) -> float:
        rows = curves[(curves["group"] == group) & (curves["day"] <= day)]
        return float(rows["retained"].iloc[-1])

    assert retained("referral", 365) > retained("marketplace", 365) + 0.05
    ratios = result.hazard_ratios.set_index("covariate")
    assert {"segment", "membership_tier", "acquisition_channel"} == set(result.curves["by"])
    assert (ratios["lower"] <= ratios["hazard_ratio"]).all()
    assert (ratios["hazard_ratio"] <= ratios["upper"]).all()
    # More purchase days mean a longer remaining lifetime; a longer silence a shorter one.
    assert ratios.loc["purchase_days_log2", "upper"] < 1
    assert ratios.loc["days_since_last_purchase_per_30", "lower"] > 1
