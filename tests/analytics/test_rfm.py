"""RFM scores, segments, classes, concentration and super users on five customers."""

from __future__ import annotations

import pandas as pd
import pytest

from tenure.analytics import rfm_segments
from tenure.errors import InputError

from .conftest import make_orders

# As of 2024-06-30 (2024 is a leap year).
ORDERS = make_orders(
    ("A", "2024-05-01", 100.0), ("A", "2024-06-01", 100.0), ("A", "2024-06-28", 100.0),
    ("B", "2024-01-01", 50.0), ("B", "2024-06-29", 50.0),
    ("C", "2024-03-01", 500.0),
    ("D", "2024-02-01 10:00", 20.0), ("D", "2024-02-01 11:00", 20.0),  # one purchase day
    ("D", "2024-02-05", -10.0),  # a partial refund
    ("E", "2024-01-02", 10.0),
    ("F", "2024-03-03", -5.0),  # a refund only: not a customer in the window
)


def scored(**options):
    return rfm_segments(ORDERS, end="2024-06-30", **options)


def test_recency_frequency_and_money_per_customer():
    frame = scored().frame.set_index("customer_id")
    # Days since the last purchase: A 2, B 1, C 121 (1 Mar), D 150 (1 Feb), E 180 (2 Jan).
    assert frame["recency_days"].to_dict() == {"A": 2, "B": 1, "C": 121, "D": 150, "E": 180}
    # Purchase days: D's two orders on 1 February are one purchase.
    assert frame["purchases"].to_dict() == {"A": 3, "B": 2, "C": 1, "D": 1, "E": 1}
    assert frame.loc["D", "orders"] == 2
    assert frame.loc["D", "revenue"] == 30.0  # 20 + 20 - 10
    assert frame.loc["B", "tenure_days"] == 180  # 1 January to 29 June


def test_quantile_scores_and_named_segments():
    frame = scored().frame.set_index("customer_id")
    # Scores are 1 + floor(percent rank * 5): ranks 0, 1/4, 1/2, 3/4, 1 give 1, 2, 3, 4, 5.
    assert frame["r"].to_dict() == {"E": 1, "D": 2, "C": 3, "A": 4, "B": 5}
    # C, D and E tie on one purchase (percent rank 0: score 1); B is 3/4, A 1.
    assert frame["f"].to_dict() == {"C": 1, "D": 1, "E": 1, "B": 4, "A": 5}
    assert frame["m"].to_dict() == {"E": 1, "D": 2, "B": 3, "A": 4, "C": 5}
    assert frame.loc["A", "rfm"] == "454"
    # Mean of F and M: A 4.5, B 3.5, C 3, D 1.5, E 1.
    assert frame["rfm_segment"].to_dict() == {
        "A": "champions",  # R 4, FM 4.5
        "B": "loyal",  # R 5, FM 3.5
        "C": "loyal",  # R 3, FM 3
        "D": "hibernating",  # R 2, FM 1.5
        "E": "lost",  # R 1, FM 1
    }


def test_relationship_classes():
    frame = scored().frame.set_index("customer_id")
    assert frame["frequency_class"].to_dict() == {"A": "regular", "B": "regular",
                                                  "C": "one_off", "D": "one_off",
                                                  "E": "one_off"}
    # B's 180 days from first to last purchase reach the 180-day relationship mark.
    assert frame.loc["B", "relationship_class"] == "relationship"
    assert frame.loc["A", "relationship_class"] == "transactional"  # 58 days
    # Revenue percentile: C is at 1.0, the only one at or above 0.8.
    assert frame["value_class"].to_dict()["C"] == "valuable"
    assert (frame["value_class"] == "valuable").sum() == 1
    assert (frame["breadth_class"] == "unknown").all()  # no order lines given


def test_revenue_concentration():
    result = scored()
    # Revenue 10, 30, 100, 300, 500 (total 940): the top 20% (one customer) bring 500/940.
    assert result.top_share == pytest.approx(500 / 940)
    # Gini = 2 * (1*10 + 2*30 + 3*100 + 4*300 + 5*500) / (5 * 940) - 6/5.
    assert result.gini == pytest.approx(2 * 4070 / 4700 - 1.2)
    lorenz = result.lorenz.set_index("customer_share")["revenue_share"]
    assert lorenz.loc[0.0] == 0 and lorenz.loc[1.0] == pytest.approx(1.0)
    assert lorenz.loc[0.4] == pytest.approx(40 / 940)  # the two smallest: 10 + 30
    assert result.refund_only_customers == 1  # F


def test_super_users_and_what_sets_them_apart():
    result = scored(super_user_share=0.2)
    assert result.super_users["customer_id"].tolist() == ["C"]  # top 1 of 5 by revenue
    profile = result.super_user_profile.set_index("measure")
    assert profile.loc["revenue_share", "super_users"] == pytest.approx(500 / 940)
    assert profile.loc["mean_revenue", "others"] == pytest.approx(440 / 4)
    assert result.value_from == "revenue"


def test_segment_summary_split_by_segment():
    customers = pd.DataFrame({"customer_id": list("ABCDE"),
                              "segment": ["smb", "smb", "consumer", "consumer", "consumer"]})
    result = rfm_segments({"orders": ORDERS, "customers": customers}, by="segment",
                          end="2024-06-30")
    summary = result.segments.set_index(["segment", "rfm_segment"])
    assert summary.loc[("smb", "champions"), "customers"] == 1
    assert summary.loc[("smb", "loyal"), "share"] == 0.5  # B, one of two smb customers
    assert summary.loc[("consumer", "loyal"), "revenue_share"] == pytest.approx(500 / 540)


def test_categories_and_clv_from_the_scores():
    lines = pd.DataFrame({"order_id": ["O1", "O2", "O6"], "line_no": [1, 1, 1],
                          "sku": ["BEAN", "MCH", "BEAN"]})
    products = pd.DataFrame({"sku": ["BEAN", "MCH"], "category": ["beans", "machine"]})
    scores = pd.DataFrame({"customer_id": list("ABCDE"), "as_of": "2024-06-30",
                           "p_alive": 0.5, "clv": [900.0, 50.0, 10.0, 5.0, 1.0],
                           "model": "pnbd"})
    result = rfm_segments({"orders": ORDERS, "order_lines": lines, "products": products,
                           "scores": scores}, end="2024-06-30", super_user_share=0.2)
    frame = result.frame.set_index("customer_id")
    assert frame.loc["A", "categories"] == 2 and frame.loc["A", "breadth_class"] == "core"
    assert frame.loc["C", "categories"] == 1 and frame.loc["C", "breadth_class"] == "loose"
    assert frame.loc["B", "breadth_class"] == "unknown"  # no lines for B's orders
    assert result.value_from == "clv"
    assert "Value is the CLV of the pnbd scores as of 2024-06-30" in result.lines()
    assert result.super_users["customer_id"].tolist() == ["A"]  # highest CLV
    assert frame["value_class"].to_dict()["A"] == "valuable"
    # Scores made later than the day after the window saw orders it does not: not used.
    later = rfm_segments({"orders": ORDERS, "scores": scores.assign(as_of="2024-07-05")},
                         end="2024-06-30")
    assert later.value_from == "revenue"
    assert ("Value is revenue: the pnbd scores are as of 2024-07-05, all after 2024-07-01"
            in later.lines())


def test_an_empty_window_is_an_error():
    with pytest.raises(InputError, match="no customer bought between 2024-07-01"):
        rfm_segments(ORDERS, start="2024-07-01", end="2024-07-31")


def test_charts():
    result = scored()
    assert result.chart().to_dict()["mark"]["type"] == "rect"
    assert result.lorenz_chart().to_dict()["layer"][0]["mark"]["type"] == "line"
    assert result.segments_chart().to_dict()["mark"]["type"] == "bar"
