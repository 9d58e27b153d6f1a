"""A profile's chart is drawn at every request of its page without Altair: the
specification must be the one Altair draws, with the customer's orders inline."""

from __future__ import annotations

import pandas as pd

from tenure.customers import CustomerProfile
from tenure.customers._profile import Rows


def test_the_profile_chart_is_the_one_altair_draws():
    orders = pd.DataFrame({"order_id": ["O1", "O2", "O3"],
                           "ordered_at": pd.to_datetime(["2025-01-05 10:30", "2025-02-01 00:00",
                                                         "2025-03-09 18:00"]),
                           "amount": [120.5, None, -20.0]})  # a missing amount, a refund
    one = CustomerProfile({"customer_id": "C1"}, {"orders": Rows.of(orders)})
    drawn = one.chart().to_dict(validate=False)
    fast = one.vega_lite()
    # Altair names its data set by a hash; the rows are the same.
    assert fast["data"] == {"values": next(iter(drawn.pop("datasets").values()))}
    assert {k: v for k, v in fast.items() if k != "data"} == \
        {k: v for k, v in drawn.items() if k != "data"}
    assert fast["title"] == "Orders of C1"
    assert fast["data"]["values"][1] == {"order_id": "O2", "ordered_at":
                                         "2025-02-01T00:00:00", "amount": None}
    assert CustomerProfile({"customer_id": "C2"}, {"orders": Rows.of(orders[:0])}
                           ).vega_lite() is None
