"""Cohort retention on a hand-made table whose every number can be checked by eye."""

from __future__ import annotations

import pandas as pd
import pytest

from tenure.analytics import cohort_retention
from tenure.errors import InputError

from .conftest import make_orders

# Four customers, January to April 2024 (the latest order, 2024-04-01, is as_of):
# A buys twice in January (one active month) and again in March.
# B buys in January and is refunded in February (a refund is not activity).
# C buys twice on the same day in February (one customer, both amounts count) and in April.
# D has only a refund: no purchase, so no cohort.
ORDERS = make_orders(
    ("A", "2024-01-05", 100.0),
    ("A", "2024-01-20", 50.0),
    ("A", "2024-03-02", 80.0),
    ("B", "2024-01-31 23:30", 60.0),
    ("B", "2024-02-10", -60.0),
    ("C", "2024-02-14 09:00", 40.0),
    ("C", "2024-02-14 17:00", 40.0),
    ("C", "2024-04-01", 10.0),
    ("D", "2024-02-20", -30.0),
)


def cell(frame: pd.DataFrame, cohort: str, age: int) -> pd.Series:
    rows = frame[(frame["cohort"] == pd.Timestamp(cohort)) & (frame["age"] == age)]
    assert len(rows) == 1, (cohort, age)
    return rows.iloc[0]


def test_january_cohort_counts_customers_once_and_refunds_in_revenue():
    result = cohort_retention(ORDERS, period="month")
    jan = result.frame[result.frame["cohort"] == pd.Timestamp("2024-01-01")]
    # Ages 0..3 (January to April): the empty February and April still appear.
    assert jan["age"].tolist() == [0, 1, 2, 3]
    assert jan["customers"].tolist() == [2, 2, 2, 2]  # A and B
    assert jan["active"].tolist() == [2, 0, 1, 0]  # A+B, nobody (B's refund), A, nobody
    assert jan["active_or_later"].tolist() == [2, 1, 1, 0]  # A's last month is age 2
    assert jan["revenue"].tolist() == [210.0, -60.0, 80.0, 0.0]  # 100+50+60, B's refund, A
    assert cell(result.frame, "2024-01-01", 1)["revenue_retention"] == pytest.approx(-60 / 210)
    assert cell(result.frame, "2024-01-01", 2)["retention"] == 0.5  # 1 of 2


def test_same_day_duplicates_count_one_customer_and_both_amounts():
    result = cohort_retention(ORDERS, period="month")
    feb = cell(result.frame, "2024-02-01", 0)
    assert feb["customers"] == 1  # C only; D has no purchase
    assert feb["active"] == 1
    assert feb["revenue"] == 80.0  # 40 + 40 on the same day
    assert cell(result.frame, "2024-02-01", 1)["active"] == 0  # March: nothing
    assert cell(result.frame, "2024-02-01", 1)["active_or_later"] == 1  # C comes back in April
    assert result.refund_only_customers == 1  # D


def test_the_period_holding_as_of_is_incomplete_and_left_out_of_the_average():
    result = cohort_retention(ORDERS, period="month")
    assert result.as_of.isoformat() == "2024-04-01"
    assert not cell(result.frame, "2024-01-01", 3)["complete"]  # April
    assert cell(result.frame, "2024-01-01", 2)["complete"]  # March
    average = result.average.set_index("age")
    # Age 0: both cohorts, 3 customers, all active.
    assert average.loc[0, "customers"] == 3 and average.loc[0, "retention"] == 1.0
    # Age 1: January's February (0 of 2) and February's March (0 of 1).
    assert average.loc[1, "customers"] == 3 and average.loc[1, "retention"] == 0.0
    # ... but A and C both come back later: 2 of 3 active then or later.
    assert average.loc[1, "retention_unbounded"] == pytest.approx(2 / 3)
    # Age 2: only January's March is complete (A of A and B); February's April is not.
    assert average.loc[2, "customers"] == 2 and average.loc[2, "retention"] == 0.5
    assert 3 not in average.index  # January's April is incomplete


def test_quarters_fold_the_months():
    result = cohort_retention(ORDERS, period="quarter")
    q1 = cell(result.frame, "2024-01-01", 0)
    assert q1["customers"] == 3  # A, B and C all start in Q1
    assert q1["revenue"] == 310.0  # A 100+50+80, B 60-60, C 40+40
    q2 = cell(result.frame, "2024-01-01", 1)
    assert (q2["active"], q2["revenue"]) == (1, 10.0)  # C's April order


def test_weeks_start_on_monday():
    result = cohort_retention(ORDERS, period="week")
    sizes = result.frame[result.frame["age"] == 0].set_index("cohort")["customers"]
    # 2024-01-05 is in the week of Monday 1 January, 2024-01-31 in that of Monday 29
    # January, 2024-02-14 in that of Monday 12 February.
    assert sizes.to_dict() == {pd.Timestamp("2024-01-01"): 1, pd.Timestamp("2024-01-29"): 1,
                               pd.Timestamp("2024-02-12"): 1}
    # A's week-0 and week-2 orders (5 and 20 January) are two different weeks.
    assert cell(result.frame, "2024-01-01", 2)["active"] == 1


def test_days_count_same_day_orders_once():
    result = cohort_retention(ORDERS, period="day", start="2024-02-14")
    first = cell(result.frame, "2024-02-14", 0)
    assert (first["customers"], first["active"], first["revenue"]) == (1, 1, 80.0)
    # From 14 February to 1 April: 47 days later C is active again.
    assert cell(result.frame, "2024-02-14", 47)["active"] == 1


def test_start_keeps_later_cohorts_and_end_cuts_the_orders():
    result = cohort_retention(ORDERS, period="month", start="2024-02-01", end="2024-03-31")
    assert result.frame["cohort"].unique().tolist() == [pd.Timestamp("2024-02-01")]
    # C's April order is after the end, so C is not active then or later after February.
    assert cell(result.frame, "2024-02-01", 1)["active_or_later"] == 0
    assert result.as_of.isoformat() == "2024-03-31"


def test_split_by_segment_from_the_customers_table():
    customers = pd.DataFrame({"customer_id": ["A", "B"], "segment": ["consumer", "smb"]})
    result = cohort_retention({"orders": ORDERS, "customers": customers}, by="segment")
    sizes = result.frame[result.frame["age"] == 0].groupby("segment")["customers"].sum()
    # A is consumer, B smb, C has no customers row: unknown.
    assert sizes.to_dict() == {"consumer": 1, "smb": 1, "unknown": 1}


def test_zone_aware_times_fall_in_the_calendar_of_the_zone_asked_for():
    # 18:00 UTC on 31 January is 02:00 on 1 February in Shanghai.
    orders = pd.DataFrame({"order_id": ["1"], "customer_id": ["Z"],
                           "ordered_at": pd.to_datetime(["2024-01-31T18:00:00Z"]),
                           "amount": [10.0]})
    utc = cohort_retention(orders, timezone="UTC")
    shanghai = cohort_retention(orders, timezone="Asia/Shanghai")
    assert utc.frame["cohort"].tolist() == [pd.Timestamp("2024-01-01")]
    assert shanghai.frame["cohort"].tolist() == [pd.Timestamp("2024-02-01")]


def test_a_workspace_stores_local_times_so_its_calendar_is_the_business_zone(workspace, write):
    # The workspace is in Asia/Shanghai; the file's times carry their UTC offset.
    path = write("orders.csv", "order_id,customer_id,ordered_at,amount\n"
                               "1,Z,2024-01-31T18:00:00Z,10\n2,Z,2024-03-01T01:00:00+08:00,5\n")
    workspace.ingest("orders", path)
    result = cohort_retention(workspace)
    assert result.frame["cohort"].unique().tolist() == [pd.Timestamp("2024-02-01")]
    assert result.frame["active"].tolist() == [1, 1]  # February and March (Shanghai time)


def test_bad_options_are_one_line_errors():
    with pytest.raises(InputError, match="period 'year' is not supported"):
        cohort_retention(ORDERS, period="year")
    with pytest.raises(InputError, match="end 2024-01-01 is before start 2024-02-01"):
        cohort_retention(ORDERS, start="2024-02-01", end="2024-01-01")
    with pytest.raises(InputError, match="needs the customers table"):
        cohort_retention(ORDERS, by="segment")
    with pytest.raises(InputError, match="has no column amount"):
        cohort_retention(ORDERS.drop(columns="amount"))


def test_the_view_and_the_charts():
    result = cohort_retention(ORDERS)
    view = result.view()
    assert view.loc[0, "0"] == "100.0%" and view.loc[0, "2"] == "50.0%"
    spec = result.chart().to_dict()
    assert spec["mark"]["type"] == "rect"
    assert result.curve_chart().to_dict()["mark"]["type"] == "line"
    assert result.lines()[0].startswith("3 customers in 2 cohorts")
