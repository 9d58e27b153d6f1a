"""The seams other capabilities plug into: feature groups, scorers, and the documentation of
every feature."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tenure.churn import FEATURE_GROUPS, Feature, FeatureBaseline, FeatureGroup, backtest, snapshot
from tenure.errors import ConfigError

DOCS = Path(__file__).parents[2] / "docs" / "churn.md"


def _orders_per_day(ctx):
    """A group built only through the context: orders per purchase day before the as-of."""
    orders = ctx.before("orders")
    per = orders.group_by("customer_id").aggregate(
        n=orders.count(), days=orders.ordered_at.date().nunique())
    return per.select("customer_id", orders_per_day=per.n / per.days)


EXTRA = FeatureGroup(
    "basket", "Orders per purchase day.",
    (Feature("orders_per_day", "orders per purchase day",
             "{orders_per_day:.1f} orders per purchase day"),),
    _orders_per_day,
)


def test_a_new_feature_group_joins_the_snapshot(tiny):
    snap = snapshot(tiny, "2024-07-01", "90D", groups=["purchases", EXTRA])
    assert snap.feature_names[-1] == "orders_per_day"
    # C1 placed 4 orders (one a refund) on 4 days before the as-of date; C2 one.
    assert snap.frame.set_index("customer_id")["orders_per_day"].to_dict() == {"C1": 1.0,
                                                                               "C2": 1.0}
    with pytest.raises(ConfigError, match="there is no feature group 'basket'"):
        snapshot(tiny, "2024-07-01", "90D", groups=["purchases", "basket"])
    with pytest.raises(ConfigError, match="the purchases feature group is needed"):
        snapshot(tiny, "2024-07-01", "90D", groups=["support"])


def test_a_new_baseline_joins_the_backtest(sim_workspace):
    frequency = FeatureBaseline("baseline_frequency", "purchase_days", increasing=False,
                                description="purchase days alone")
    result = backtest(sim_workspace, ["2024-03-01", "2024-09-01"], "120D",
                      scorers=["churn_model", "baseline_recency", frequency])
    assert result.metrics["scorer"].tolist() == ["churn_model", "baseline_recency",
                                                 "baseline_frequency"]
    assert set(result.margins()["baseline"]) == {"baseline_recency", "baseline_frequency"}
    with pytest.raises(ConfigError, match="scorer 'baseline_p_alive' reads p_alive, which no "
                                          "chosen feature group computes"):
        backtest(sim_workspace, ["2024-03-01", "2024-09-01"], "120D",
                 groups=["purchases", "support"], scorers=["baseline_p_alive"])


def test_every_feature_is_documented():
    text = DOCS.read_text(encoding="utf-8")
    for group in FEATURE_GROUPS.values():
        assert f"`{group.name}`" in text, group.name
        for feature in group.features:
            windowed = re.sub(r"_(30|90|365)d$", "_30d/90d/365d", feature.name)
            assert f"`{feature.name}`" in text or f"`{windowed}`" in text, feature.name
