"""Churn reasons by code and side, with the value each took, on hand-made records."""

from __future__ import annotations

import pandas as pd
import pytest

from tenure.analytics import churn_reasons

from .conftest import make_orders

REASONS = pd.DataFrame({
    "customer_id": ["a", "b", "b", "c", "d"],
    "at": pd.to_datetime(["2024-02-01", "2024-03-01", "2024-03-01", "2024-04-10",
                          "2024-04-20"]),
    "code": ["moved", "bugs", "service", "bugs", "price"],
    "side": [None, "product", None, None, "customer"],
})
# Value before each customer's first reason: a 100, b 60 (the March order is after),
# c 40 - 10 refunded = 30, d none.
ORDERS = make_orders(("a", "2024-01-05", 100.0), ("b", "2024-01-10", 60.0),
                     ("b", "2024-03-05", 999.0), ("c", "2024-02-01", 40.0),
                     ("c", "2024-02-03", -10.0))


def test_counts_sides_and_value_shares():
    result = churn_reasons({"churn_reasons": REASONS, "orders": ORDERS})
    table = result.frame.set_index("code")
    assert table["customers"].to_dict() == {"bugs": 2, "moved": 1, "price": 1, "service": 1}
    # Sides: recorded (bugs for b, price for d), else from the code lists; price is not
    # listed but d's row says customer.
    assert table["side"].to_dict() == {"bugs": "product", "moved": "customer",
                                       "price": "customer", "service": "product"}
    assert table.loc["bugs", "share"] == 0.5  # 2 of the 4 customers with a reason
    # b's 60 is split between bugs and service; bugs also has c's 30.
    assert table["value"].to_dict() == {"bugs": 60.0, "moved": 100.0, "price": 0.0,
                                        "service": 30.0}
    assert table.loc["moved", "value_share"] == pytest.approx(100 / 190)
    assert result.customers == 4
    sides = result.sides.set_index("side")
    assert sides.loc["product", "value"] == 90.0 and sides.loc["customer", "value"] == 100.0


def test_trend_and_window():
    result = churn_reasons(REASONS, period="month")
    trend = result.trend.assign(period=result.trend["period"].dt.strftime("%Y-%m"))
    assert trend.groupby("period")["customers"].sum().to_dict() == {
        "2024-02": 1, "2024-03": 2, "2024-04": 2}
    later = churn_reasons(REASONS, start="2024-04-01")
    assert later.frame["code"].tolist() == ["bugs", "price"]
    assert later.frame["value"].isna().all()  # no orders given: no value


def test_split_by_segment_and_charts():
    customers = pd.DataFrame({"customer_id": ["a", "b", "c"],
                              "segment": ["consumer", "smb", "smb"]})
    result = churn_reasons({"churn_reasons": REASONS, "orders": ORDERS,
                            "customers": customers}, by="segment")
    smb = result.frame[result.frame["segment"] == "smb"].set_index("code")
    assert smb["customers"].to_dict() == {"bugs": 2, "service": 1}
    assert set(result.frame["segment"]) == {"consumer", "smb", "unknown"}  # d: no row
    assert result.chart().to_dict()["mark"]["type"] == "bar"
    assert result.value_chart().to_dict()["mark"]["type"] == "bar"
