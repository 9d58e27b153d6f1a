"""Churn definitions, horizons and as-of dates, and the errors for bad ones."""

from __future__ import annotations

import pandas as pd
import pytest

from tenure.churn import ChurnDefinition, churn_definition, horizon_days, snapshot
from tenure.churn._dates import as_of_date
from tenure.config import set_value
from tenure.errors import ConfigError
from tenure.workspace import CONFIG_FILE


def test_horizons_in_days_and_weeks():
    assert horizon_days("26W") == 182
    assert horizon_days("90d") == 90
    assert horizon_days("90") == 90
    assert horizon_days(45) == 45
    with pytest.raises(ConfigError, match="'6M' is not understood; write days or weeks"):
        horizon_days("6M")
    with pytest.raises(ConfigError, match="at least one day"):
        horizon_days(0)


def test_as_of_is_a_date():
    assert as_of_date("2024-06-30").isoformat() == "2024-06-30"
    with pytest.raises(ConfigError, match="has a time of day"):
        as_of_date("2024-06-30 12:00")
    with pytest.raises(ConfigError, match="'soon' is not a date"):
        as_of_date("soon")


def _regular_buyers(workspace, gap_days: int, customers: int, purchases: int) -> None:
    rows = [(f"{c}-{k}", f"C{c}", pd.Timestamp("2024-01-01") + pd.Timedelta(days=gap_days * k),
             10.0) for c in range(customers) for k in range(purchases)]
    workspace.ingest("orders", pd.DataFrame(rows, columns=["order_id", "customer_id",
                                                           "ordered_at", "amount"]))


def test_horizon_is_learned_from_the_gaps_between_purchases(workspace):
    # 8 customers buying every 10 days, 5 times each: 32 gaps, all of 10 days. The 90%
    # quantile is 10 days, rounded up to whole weeks: 14.
    _regular_buyers(workspace, 10, customers=8, purchases=5)
    definition = churn_definition(workspace)
    assert (definition.kind, definition.horizon_days) == ("non_contractual", 14)
    assert "quantile of 32 gaps between purchase days is 10 days" in definition.source
    assert "no purchase in the 14 days (2 weeks) from the as-of date" in definition.describe()


def test_too_few_repeat_purchases_to_learn_from(workspace):
    _regular_buyers(workspace, 10, customers=2, purchases=5)  # 8 gaps
    with pytest.raises(ConfigError, match=r"only 8 repeat purchases, too few .* set "
                                          r"churn\.horizon"):
        churn_definition(workspace)


def test_settings_and_arguments(workspace):
    set_value(workspace.path / CONFIG_FILE, "churn.horizon", "8W")
    set_value(workspace.path / CONFIG_FILE, "churn.definition", "contractual")
    from tenure.workspace import Workspace

    ws = Workspace(workspace.path)
    assert churn_definition(ws) == ChurnDefinition("contractual", 56,
                                                   "set by churn.horizon = '8W'")
    assert churn_definition(ws, kind="non_contractual", horizon="30D").horizon_days == 30
    with pytest.raises(ConfigError, match="'monthly' is not a churn definition"):
        churn_definition(ws, kind="monthly")
    set_value(workspace.path / CONFIG_FILE, "churn.horizon", "")
    assert churn_definition(Workspace(workspace.path)).horizon_days == 365  # one period


def test_a_horizon_longer_than_the_data_says_which_dates_fit(tiny):
    with pytest.raises(ConfigError, match=(
            r"a horizon of 182 days after as-of 2024-07-01 reaches 2024-12-30, past the last "
            r"record on 2024-12-01; choose an as-of date on or before 2024-06-03 or a shorter "
            r"horizon")):
        snapshot(tiny, "2024-07-01", "26W")
    # The first record is C2's membership from 2023-01-01.
    with pytest.raises(ConfigError, match="as-of 2022-11-01 is not after the first record on "
                                          "2023-01-01; choose a later as-of date"):
        snapshot(tiny, "2022-11-01", "30D")
