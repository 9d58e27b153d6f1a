"""The value-model features are the BG/NBD of tenure.models, fitted as of each date."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tenure.churn import snapshot
from tenure.models import BetaGeo, rfm_summary


def test_p_alive_is_the_bgnbd_fitted_on_the_past(cdnow_workspace):
    snap = snapshot(cdnow_workspace, "1997-10-01", "26W")
    # The same model by hand: the purchases (orders of positive amount, as the churn label
    # counts them; CDNOW has some of 0) before 1 October (some are on the day itself), in
    # days, T up to 1 October, and 182 days ahead.
    orders = cdnow_workspace.table("orders")
    cut = pd.Timestamp("1997-10-01")
    assert orders.filter(orders.ordered_at.date() == cut.date()).count().execute() > 0
    assert orders.filter(orders.amount == 0).count().execute() > 0
    hand = rfm_summary(orders.filter((orders.ordered_at < cut) & (orders.amount > 0)),
                       observation_end=cut, unit="D")
    model = BetaGeo().fit(hand[["frequency", "recency", "T"]])
    hand = hand.assign(p_alive=model.p_alive(hand),
                       expected=model.expected_purchases(hand, 182)).set_index("customer_id")
    got = snap.frame.set_index("customer_id")
    assert len(got) > 1000 and got.index.isin(hand.index).all()
    np.testing.assert_allclose(got["p_alive"], hand.loc[got.index, "p_alive"], rtol=1e-4)
    np.testing.assert_allclose(got["expected_purchases"], hand.loc[got.index, "expected"],
                               rtol=1e-4)
    # Customers whose P(alive) is lower churn more often.
    low = got["p_alive"] < got["p_alive"].median()
    assert got.loc[low, "churned"].mean() > got.loc[~low, "churned"].mean()
