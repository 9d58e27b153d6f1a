"""Value-model features: the BG/NBD P(alive) and the purchases it expects in the horizon.

At each as-of date a BG/NBD model (Fader, Hardie and Lee 2005, "Counting your customers the
easy way") is fitted, in days, on the purchase histories known then: the orders stamped before
the as-of date, summarised in the engine and compressed to distinct (frequency, recency, T).
A purchase here is what the churn label counts, an order of positive amount (the value
models of ``tenure fit`` also count orders of amount 0), and the summary is the purchase
history the purchases group reads, made once per snapshot.
Each history's P(alive) and expected purchases over the churn horizon go back to the engine
as a small table joined to the customers. The same P(alive), mapped to a probability on the
training rows, is the ``baseline_p_alive`` scorer the churn model has to beat.

When the model cannot be fitted (too few customers, no repeat buyer), both features are
missing, and the baseline gives every customer the training churn rate.
"""

from __future__ import annotations

import warnings

import ibis
import pyarrow as pa

from tenure.churn._features import Feature, FeatureContext, FeatureGroup
from tenure.errors import ModelError

__all__ = ["VALUE"]

FEATURES = (
    Feature("p_alive", "probability that the customer is still a customer (BG/NBD)",
            "only a {p_alive:.0%} chance of still being a customer, by their buying pattern",
            fallback="too little purchase history to judge whether they are still a customer",
            risk="low", missing_is_reason=False),
    Feature("expected_purchases",
            "purchases the BG/NBD model expects from the customer within the churn horizon",
            "only {expected_purchases:.1f} purchases expected within the horizon",
            fallback="too little purchase history to expect purchases", risk="low",
            missing_is_reason=False),
)

KEYS = ("frequency", "recency", "T")


def value_predictions(histories, horizon: float) -> pa.Table | None:
    """P(alive) and expected purchases within ``horizon`` days per distinct (frequency,
    recency, T) with their ``weights``, or None when a BG/NBD model cannot be fitted."""
    from tenure.models import BetaGeo, ModelWarning

    if histories.empty or not (histories["frequency"] > 0).any():
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ModelWarning)
            model = BetaGeo().fit(histories)
        outlook = model.purchase_outlook(histories, horizon=horizon, steps=1)
    except ModelError:
        return None
    return pa.table({
        **{k: pa.array(histories[k].to_numpy()) for k in KEYS},
        "p_alive": pa.array(outlook.p_alive, pa.float64()),
        "expected_purchases": pa.array(outlook.expected_purchases, pa.float64()),
    })


def _build(ctx: FeatureContext) -> ibis.Table:
    from tenure.churn._purchases import purchase_history

    # (frequency, recency, T) in days from the purchase history the purchases group reads
    # too: the orders are summarised once per snapshot.
    per = purchase_history(ctx)
    stats = per.select(
        "customer_id", frequency=per.purchase_days - 1,
        recency=per.last_day.delta(per.first_day, unit="day").cast("float64"),
        T=ctx.day.delta(per.first_day, unit="day").cast("float64"))
    # In a fixed order, so that the fit is the same to the last bit run after run.
    histories = (stats.group_by(list(KEYS)).aggregate(weights=stats.count())
                 .order_by(list(KEYS)).to_pandas())
    predictions = value_predictions(histories, ctx.definition.horizon_days)
    if predictions is None:
        return stats.select("customer_id", p_alive=ibis.null("float64"),
                            expected_purchases=ibis.null("float64"))
    table = ctx.temporary("value", predictions)
    joined = stats.join(table, list(KEYS))
    return joined.select("customer_id", "p_alive", "expected_purchases")


VALUE = FeatureGroup(
    "value",
    "The BG/NBD P(alive) and the purchases it expects within the churn horizon, fitted on "
    "the purchase histories known at the as-of date (orders).",
    FEATURES,
    _build,
)
