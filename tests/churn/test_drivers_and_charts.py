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


def _rows(spec: dict, part: dict, parent: dict | None = None) -> list[dict]:
    """The rows a part of a chart draws: its named dataset, or its parent's when the
    layers share one."""
    data = part.get("data") or (parent or {})["data"]
    return spec["datasets"][data["name"]]


def test_charts_draw_the_results_numbers(model_and_snapshot, sim_workspace):
    model, snap = model_and_snapshot
    drivers = model.drivers(snap, top=3, grid=5)
    spec = drivers.chart().to_dict()
    bars = spec["vconcat"][0]
    assert bars["mark"]["type"] == "bar"
    assert (bars["encoding"]["x"]["field"], bars["encoding"]["y"]["field"]) == (
        "contribution", "feature")
    # Two bars per feature (towards churn, towards staying) for the strongest fifteen.
    drawn = {(r["feature"], r["pushes"]): r["contribution"] for r in _rows(spec, bars)}
    for row in drivers.summary.head(15).itertuples():
        assert drawn[(row.feature, "towards_churn")] == pytest.approx(row.towards_churn)
        assert drawn[(row.feature, "towards_staying")] == pytest.approx(row.towards_staying)

    tested = backtest(sim_workspace, ["2024-03-01", "2024-09-01"], "120D")
    spec = tested.chart().to_dict()
    calibration, auc = spec["vconcat"]
    curve = calibration["layer"][1]
    assert (curve["encoding"]["x"]["field"], curve["encoding"]["y"]["field"]) == (
        "predicted", "observed")
    assert len(_rows(spec, curve)) == len(tested.calibration)
    assert auc["encoding"]["y"]["field"] == "roc_auc"
    drawn = {(r["scorer"], r["as_of"]): r["roc_auc"] for r in _rows(spec, auc)}
    for row in tested.metrics.itertuples():
        assert drawn[(row.scorer, row.as_of.date().isoformat())] == pytest.approx(row.roc_auc)

    result = survival(sim_workspace, horizon="120D")
    spec = result.chart().to_dict()
    curves, forest = spec["vconcat"]
    assert curves["spec"]["mark"]["interpolate"] == "step-after"
    assert curves["spec"]["encoding"]["y"]["field"] == "retained"
    # Every curve starts at full retention and the drawn points are the result's own.
    drawn = _rows(spec, curves)
    known = {(r.by, r.group, r.day): r.retained for r in result.curves.itertuples()}
    assert all(known[(r["by"], r["group"], r["day"])] == pytest.approx(r["retained"])
               for r in drawn)
    points = forest["layer"][1]
    assert points["encoding"]["x"]["scale"]["type"] == "log"
    ratios = {r["description"]: r["hazard_ratio"] for r in _rows(spec, points, forest)}
    for row in result.hazard_ratios.itertuples():
        assert ratios[row.description] == pytest.approx(row.hazard_ratio)
