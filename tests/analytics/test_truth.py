"""Lifecycle states against the simulator's ground truth (when each life really ended)."""

from __future__ import annotations

import pytest

from tenure.analytics import state_agreement
from tenure.simulate import simulate_business


@pytest.fixture(scope="module")
def business():
    return simulate_business(20_000, seed=3)


def test_states_agree_with_the_simulated_truth(business):
    report = state_agreement(business, dates=["2024-06-30", "2024-12-31", "2025-12-31"])
    print(report.frame.to_string())  # the agreement rate, reported with -s
    # Measured on this seed: 0.736, 0.744 and 0.729; the learned rhythm knows nothing of the
    # simulator's parameters, so a drop below 0.7 would mean the states went wrong.
    assert report.rate > 0.70
    by_date = report.frame.set_index(report.frame["date"].dt.strftime("%Y-%m-%d"))
    # At the end, when 46% of the customers are dead, "everyone is alive" is right for 54%.
    assert by_date.loc["2025-12-31", "agreement"] > by_date.loc["2025-12-31",
                                                                 "everyone_alive"] + 0.15
    # Measured: more than half of the customers flagged churned or dormant are dead (0.51,
    # 0.59, 0.68; the rest are alive but buy so rarely that their silence looks the same),
    # and most of the dead are flagged (0.64, 0.68, 0.78).
    assert (report.frame["precision"] > 0.5).all()
    assert (report.frame["recall"] > 0.6).all()


def test_tighter_thresholds_flag_more_customers(business):
    loose = state_agreement(business, dates=["2025-12-31"], churned_multiple=6)
    tight = state_agreement(business, dates=["2025-12-31"], churned_multiple=3)
    assert tight.frame["flagged"].iloc[0] > loose.frame["flagged"].iloc[0]
    assert tight.frame["recall"].iloc[0] > loose.frame["recall"].iloc[0]
