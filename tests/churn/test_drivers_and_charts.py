"""Key drivers, partial dependence and the charts of churn results."""

from __future__ import annotations

import pytest

from tenure.churn import backtest, snapshot, survival, train


@pytest.fixture(scope="module")
def model_and_snapshot(sim_workspace):
    model = train(sim_workspace, ["2024-06-01", "2024-09-01"], "120D")
    return model, snapshot(sim_workspace, "2025-06-01", "120D")


def test_key_drivers(model_and_snapshot):
    model, snap = model_and_snapshot
    drivers = model.drivers(snap, top=4, grid=8)
    summary = drivers.summary
    assert len(summary) == len(model.features_)
    assert summary["mean_abs_contribution"].is_monotonic_decreasing
    assert (summary["towards_churn"] >= 0).all() and (summary["towards_staying"] <= 0).all()
    # Recency drives churn in this business: a recency feature is among the strongest, and
    # a longer silence raises risk.
    recency = {"days_since_last_purchase", "recency_ratio", "mean_gap_days"}
    assert recency & set(summary["feature"].head(4))
    row = summary.set_index("feature").loc["days_since_last_purchase"]
    assert row["direction"] == "higher raises risk"
    curves = drivers.partial_dependence
    assert curves["feature"].nunique() == 4
    assert curves["churn_risk"].between(0, 1).all()


def test_charts_are_vega_lite(model_and_snapshot, sim_workspace):
    model, snap = model_and_snapshot
    specs = [
        model.drivers(snap, top=3, grid=5).chart().to_dict(),
        backtest(sim_workspace, ["2024-03-01", "2024-09-01"], "120D").chart().to_dict(),
        survival(sim_workspace, horizon="120D").chart().to_dict(),
    ]
    for spec in specs:
        assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
        assert "vconcat" in spec
