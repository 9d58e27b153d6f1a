"""The shared tables a workspace stores for the analyses: their rows by hand, rebuilt when
the orders change, and the same results as the tables handed in directly."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow.parquet as pq
import pytest

from tenure.analytics import (
    cohort_retention,
    customer_states,
    funnel,
    lifecycle,
    loyalty_ladder,
    prepare,
    referral_reach,
    rfm_segments,
)
from tenure.engine._activity import activity
from tenure.engine._tables import open_tables
from tenure.errors import InputError

from .conftest import make_orders
from .test_lifecycle import FIXED, HISTORY

# A: two orders on 10 January, a refund on 20 January, orders on 5 February and 2 April.
# B: a refund on 3 January only.
ORDERS = make_orders(
    ("A", "2024-01-10 09:00", 10.0), ("A", "2024-01-10 18:00", 5.0),
    ("A", "2024-01-20", -3.0), ("A", "2024-02-05", 7.0), ("A", "2024-04-02", 4.0),
    ("B", "2024-01-03", -2.0),
)


def rows(table) -> list[dict]:
    frame = table.order_by(["customer_id", "number"]).to_pandas()
    return frame.drop(columns="customer_id").to_dict("records")


def test_activity_by_month_by_hand():
    tables = open_tables(ORDERS, "orders")
    months = activity(tables, "month", dt.date(2024, 4, 2), dt.date(2024, 4, 2))
    a, b = (months.filter(months.customer_id == c) for c in "AB")
    jan, feb, apr = (2024 * 12 + m - 1 for m in (1, 2, 4))
    got = rows(a)
    # January: one purchase day (two orders, 15) and a refund (-3): revenue 12.
    assert [r["number"] for r in got] == [jan, feb, apr]
    assert [r["bought_days"] for r in got] == [1, 1, 1]
    assert [r["orders"] for r in got] == [2, 1, 1]
    assert [r["revenue"] for r in got] == [12.0, 7.0, 4.0]
    # Purchase days before each month, the last of them, and the next purchase after it.
    assert [r["days_before"] for r in got] == [0, 1, 2]
    assert [r["previous_day"] for r in got] == [pd.NaT, pd.Timestamp("2024-01-10"),
                                                pd.Timestamp("2024-02-05")]
    assert [r["next_day"] for r in got] == [pd.Timestamp("2024-02-05"),
                                            pd.Timestamp("2024-04-02"), pd.NaT]
    assert [r["following"] for r in got][:2] == [feb, apr]
    assert got[0]["first_day"] == pd.Timestamp("2024-01-10")
    assert got[0]["second_day"] == pd.Timestamp("2024-02-05")
    # B has a refund only: a month with no purchase and no first purchase day.
    (only,) = rows(b)
    assert only["bought_days"] == 0 and only["revenue"] == -2.0
    assert pd.isna(only["first_day"]) and pd.isna(only["first_in"])


def test_an_earlier_as_of_hides_what_came_after_it():
    tables = open_tables(ORDERS, "orders")
    # As of 15 February the April purchase is unknown: February has no next purchase.
    months = activity(tables, "month", dt.date(2024, 2, 15), dt.date(2024, 4, 2))
    got = rows(months.filter(months.customer_id == "A"))
    assert len(got) == 2
    assert pd.isna(got[1]["next_day"]) and pd.isna(got[1]["following"])
    # As of 12 January, a cut January: the refund of the 20th is not yet there either.
    days = activity(tables, "month", dt.date(2024, 1, 12), dt.date(2024, 4, 2))
    (january,) = rows(days.filter(days.customer_id == "A"))
    assert january["revenue"] == 15.0 and pd.isna(january["second_day"])


def states(data):
    return customer_states(data, end="2024-07-31", rules=FIXED).frame.set_index(
        "customer_id")["state"].to_dict()


def test_stored_tables_follow_new_orders(workspace):
    workspace.ingest("orders", HISTORY)
    # A bought on 15 June: at risk at the end of July (46 days); B is dormant.
    assert states(workspace) == {"A": "at_risk", "B": "dormant"}
    built = workspace.connection.execute(
        "SELECT name FROM analytics_blocks ORDER BY name").fetchall()
    assert built == [("activity_day",), ("activity_month",)]
    # B comes back on 20 July: the stored tables are rebuilt and B is a win-back.
    workspace.ingest("orders", make_orders(("B", "2024-07-20", 10.0)).assign(order_id="N1"))
    assert states(workspace) == {"A": "at_risk", "B": "resurrected"}
    # An ingest that changes an order (the same order id, now a refund) is seen too.
    workspace.ingest("orders", make_orders(("B", "2024-07-20", -10.0)).assign(order_id="N1"))
    assert states(workspace) == {"A": "at_risk", "B": "dormant"}


def test_a_table_built_from_another_builds_that_one_first(workspace):
    # The customer summary is summed from the day activity, which is not stored yet.
    workspace.ingest("orders", HISTORY)
    rfm = rfm_segments(workspace, end="2024-07-31")
    assert rfm.frame["purchases"].tolist() == [3, 1]  # A on three days, B on one
    built = workspace.connection.execute(
        "SELECT name FROM analytics_blocks ORDER BY name").fetchall()
    assert built == [("activity_day",), ("customer_summary",)]


def test_prepare_builds_once_per_version_of_the_orders(workspace):
    workspace.ingest("orders", HISTORY)
    first = prepare(workspace, periods=["week"]).frame.set_index("table")
    assert first.index.tolist() == ["activity_day", "activity_week", "customer_summary"]
    assert first["rebuilt"].all()
    # Activity rows: A bought on three days, B on one; the summary has one row each.
    assert first["rows"].tolist() == [4, 4, 2]
    assert not prepare(workspace, periods=["week"]).frame["rebuilt"].any()
    workspace.ingest("orders", make_orders(("C", "2024-07-01", 1.0)).assign(order_id="N2"))
    assert prepare(workspace, periods=["week"]).frame["rebuilt"].all()
    with pytest.raises(InputError, match="prepare needs a Workspace"):
        prepare(HISTORY)


@pytest.fixture(scope="module")
def shop(small_business, tmp_path_factory):
    """The simulated business in a workspace, and the same tables as DataFrames."""
    from tenure.workspace import Workspace

    names = ("customers", "products", "orders", "order_lines", "leads")
    ws = Workspace.init(tmp_path_factory.mktemp("stored") / "shop", timezone="Asia/Shanghai")
    for name in names:
        ws.ingest(name, small_business / f"{name}.parquet")
    frames = {name: pq.read_table(small_business / f"{name}.parquet").to_pandas()
              for name in names}
    yield ws, frames
    ws.close()


@pytest.mark.parametrize(("function", "options"), [
    (cohort_retention, {"period": "week"}),
    (cohort_retention, {"period": "quarter", "by": "segment", "end": "2025-05-15"}),
    (lifecycle, {"period": "month"}),
    (lifecycle, {"period": "week", "end": "2025-03-12"}),
    (loyalty_ladder, {"by": "region"}),
    (rfm_segments, {}),
    (rfm_segments, {"end": "2025-04-30", "start": "2024-03-01"}),
    (referral_reach, {}),
    (funnel, {"by": "source"}),
])
def test_the_stored_tables_give_what_the_tables_handed_in_give(shop, function, options):
    ws, frames = shop
    stored = function(ws, timezone=None, **options)
    direct = function(frames, timezone="Asia/Shanghai", **options)
    pd.testing.assert_frame_equal(stored.frame, direct.frame, check_dtype=False,
                                  check_categorical=False)


def test_the_stored_lead_progress_follows_the_stage_settings(workspace):
    from tenure.config import Config, set_value

    leads = pd.DataFrame({
        "lead_id": ["L1", "L1", "L2"], "stage": ["ML", "MQL", "ML"],
        "entered_at": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-01-02"])})
    workspace.ingest("leads", leads)
    reached = funnel(workspace).frame.set_index("stage")["reached"]
    # Both leads reached ML, L1 went on to MQL.
    assert reached[["ML", "MQL"]].tolist() == [2, 1]
    # With MQL renamed, the stored progress is rebuilt: L1's MQL row is no stage now.
    set_value(workspace.path / "tenure.toml", "funnel.stages", "ML,Qualified,SL,SQL,won")
    set_value(workspace.path / "tenure.toml", "funnel.lost_stage", "MQL")
    workspace.config = Config.load(workspace.path / "tenure.toml")
    result = funnel(workspace)
    assert result.frame.set_index("stage")["reached"][["ML", "Qualified"]].tolist() == [2, 0]
    assert result.frame.set_index("stage").loc["ML", "lost"] == 1  # L1, at ML then "MQL"
