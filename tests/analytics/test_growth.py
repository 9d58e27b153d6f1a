"""Net growth: gained, won back, lost and the net change, read off hand-made histories."""

from __future__ import annotations

import math

import pandas as pd

from tenure.analytics import net_growth

from .conftest import make_orders
from .test_lifecycle import FIXED, HISTORY


def test_gaining_ten_and_losing_twenty_is_a_net_change_of_minus_ten():
    # Twenty customers buy on 10 January; with churn after 60 days they are lost on
    # 11 March. Ten new customers buy on 5 March.
    rows = [(f"old{i}", "2024-01-10", 5.0) for i in range(20)]
    rows += [(f"new{i}", "2024-03-05", 5.0) for i in range(10)]
    growth = net_growth(make_orders(*rows), end="2024-03-31", rules=FIXED)
    march = growth.frame.set_index("period").loc[pd.Timestamp("2024-03-01")]
    assert march["active_base_start"] == 20  # the old twenty, at risk in February
    assert (march["new"], march["won_back"], march["lost"]) == (10, 0, 20)
    assert march["net_change"] == -10  # 10 + 0 - 20
    assert march["active_base"] == 10
    assert march["quick_ratio"] == 0.5  # (10 + 0) / 20
    assert march["growth_rate"] == -0.5  # -10 / 20
    assert "net -10" in growth.lines()[0]


def test_growth_month_by_month():
    growth = net_growth(HISTORY, end="2024-07-31", rules=FIXED)
    frame = growth.frame.assign(period=growth.frame["period"].dt.strftime("%Y-%m"))
    rows = frame.set_index("period")[["new", "won_back", "lost", "net_change", "active_base"]]
    # See test_lifecycle.test_states_month_by_month_with_fixed_thresholds for the states.
    assert rows.to_dict("index") == {
        "2024-01": {"new": 2, "won_back": 0, "lost": 0, "net_change": 2, "active_base": 2},
        "2024-02": {"new": 0, "won_back": 0, "lost": 0, "net_change": 0, "active_base": 2},
        "2024-03": {"new": 0, "won_back": 0, "lost": 1, "net_change": -1, "active_base": 1},
        "2024-04": {"new": 0, "won_back": 0, "lost": 1, "net_change": -1, "active_base": 0},
        "2024-05": {"new": 0, "won_back": 0, "lost": 0, "net_change": 0, "active_base": 0},
        "2024-06": {"new": 0, "won_back": 1, "lost": 0, "net_change": 1, "active_base": 1},
        "2024-07": {"new": 0, "won_back": 0, "lost": 0, "net_change": 0, "active_base": 1},
    }
    assert (frame["reassessed"] == 0).all()  # without scores the books always balance
    assert math.isnan(frame.set_index("period").loc["2024-06", "quick_ratio"])  # nobody lost


def test_a_window_starts_from_the_base_of_the_period_before_it():
    growth = net_growth(HISTORY, start="2024-03-01", end="2024-04-30", rules=FIXED)
    assert growth.frame["period"].dt.strftime("%Y-%m").tolist() == ["2024-03", "2024-04"]
    assert growth.frame["active_base_start"].tolist() == [2, 1]  # February's base was 2


def test_split_by_region():
    customers = pd.DataFrame({"customer_id": ["A", "B"], "region": ["上海", "北京"]})
    growth = net_growth({"orders": HISTORY, "customers": customers}, by="region",
                        end="2024-07-31", rules=FIXED)
    lost = growth.frame.groupby("region")["lost"].sum()
    assert lost.to_dict() == {"上海": 1, "北京": 1}  # A lost in April, B in March
    assert growth.chart().to_dict()["facet"]["field"] == "region"
