"""The charts are valid Vega-Lite specifications carrying the model's numbers."""

from __future__ import annotations

import numpy as np
import pytest

import tenure
from tenure.models import BetaGeo, GammaGamma, charts

pytest.importorskip("altair")


@pytest.fixture(scope="module")
def fitted():
    s = tenure.rfm_summary(tenure.datasets.load_cdnow(kind="sample"),
                           observation_end="1998-06-30", unit="W", calibration_end="1997-09-30")
    return s, BetaGeo().fit(s)


def test_conditional_expectations_chart(fitted):
    s, model = fitted
    spec = charts.conditional_expectations(model, s).to_dict()
    rows = spec["datasets"][spec["data"]["name"]]
    actual = {r["frequency"]: r["purchases"] for r in rows if r["series"] == "actual"}
    # Customers with no repeat purchase in calibration made 0.23 holdout purchases on average
    # in CDNOW (FHL 2005, figure 4 shows about 0.2).
    assert actual[0] == pytest.approx(
        s.frequency_holdout[s.frequency == 0].mean())
    assert spec["mark"]["type"] == "line"


def test_grids_and_clv_histogram(fitted):
    s, model = fitted
    grid = charts.p_alive_grid(model, max_frequency=5, T=39.0).to_dict()
    values = [r["value"] for r in grid["datasets"][grid["data"]["name"]]]
    assert min(values) > 0 and max(values) == 1.0  # no repeat purchase: alive under BG/NBD
    charts.expected_purchases_grid(model, 10.0, max_frequency=5, T=39.0).to_dict()
    clv = GammaGamma().fit(s).clv(model, s, horizon=52.0)
    spec = charts.clv_distribution(clv).to_dict()
    assert len(spec["datasets"][spec["data"]["name"]]) == len(s)
    assert np.isfinite(clv).all()


def test_tracking_matches_the_cdnow_totals(fitted):
    _s, model = fitted
    orders = tenure.datasets.load_cdnow(kind="sample")
    frame = charts.tracking_frame(model, orders, calibration_end="1997-09-30",
                                  observation_end="1998-06-30")
    # Weeks start on 1997-01-01, so weeks 0-38 end on 1997-09-30: the calibration weeks hold
    # the 2,457 calibration repeat purchases and the rest the 1,882 of the holdout.
    assert frame[~frame.holdout].period.max() == 38
    assert frame[~frame.holdout].actual.sum() == 2457
    assert frame[frame.holdout].actual.sum() == 1882
    # The BG/NBD forecast of the cumulative repeat purchases ends within 5% of the actual
    # 4,339 at week 78 (FHL 2005, figure 3 shows it tracking closely).
    assert frame.cumulative_predicted.iloc[-1] == pytest.approx(4339, rel=0.05)
    spec = charts.tracking(model, orders, calibration_end="1997-09-30",
                           observation_end="1998-06-30").to_dict()
    assert len(spec["layer"]) == 2


def test_p_alive_history_chart(fitted):
    _s, model = fitted
    spec = charts.p_alive_history(model, [3.0, 10.0], 20.0, step=5.0).to_dict()
    layers = spec["layer"]
    rows = spec["datasets"][layers[0]["data"]["name"]]
    # The last point is the customer's summary at week 20: x = 2, t_x = 10, T = 20.
    import pandas as pd

    end = pd.DataFrame({"frequency": [2], "recency": [10.0], "T": [20.0]})
    assert rows[-1]["p_alive"] == pytest.approx(model.p_alive(end)[0])
    assert layers[1]["mark"]["type"] == "tick"
