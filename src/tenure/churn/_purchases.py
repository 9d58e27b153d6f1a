"""Purchase features: recency, frequency, spend, their trends, regularity, tenure, refunds."""

from __future__ import annotations

import ibis

from tenure.churn._features import Feature, FeatureContext, FeatureGroup
from tenure.engine._history import WINDOWS
from tenure.engine._history import purchase_history as engine_purchase_history

__all__ = ["PURCHASES", "purchase_history"]


def _window_features() -> tuple[Feature, ...]:
    features = []
    for days in WINDOWS:
        features += [
            Feature(f"purchases_{days}d", f"purchase days in the last {days} days",
                    f"only {{purchases_{days}d:.0f}} purchase {{purchases_{days}d:?day|days}} "
                    f"in the last {days} days", fill=0, risk="low"),
            Feature(f"spend_{days}d", f"net spend in the last {days} days",
                    f"only {{currency}}{{spend_{days}d:,.0f}} spent in the last {days} days",
                    fill=0, risk="low"),
            # A rate or a spend below what it was before (1x) is the decline the sentence
            # names; a new customer with no history before the window is no decline.
            Feature(f"frequency_trend_{days}d",
                    f"purchase rate in the last {days} days over the rate before them",
                    f"buying {{frequency_trend_{days}d:.1f}}x as often in the last {days} days "
                    "as before",
                    fallback=f"no purchase history from before the last {days} days",
                    risk="low", neutral=1.0, missing_is_reason=False),
            Feature(f"spend_trend_{days}d",
                    f"spend per day in the last {days} days over spend per day before them",
                    f"spending {{spend_trend_{days}d:.1f}}x as much in the last {days} days "
                    "as before",
                    fallback=f"no purchase history from before the last {days} days",
                    risk="low", neutral=1.0, missing_is_reason=False),
        ]
    return tuple(features)


# Each sentence says which way it argues (risk "high" or "low", against a fixed neutral
# value or else the training median): a reason is given only where the customer's values
# lie on that side. Silence longer than their usual gap (a ratio above 1) is overdue; a
# shorter one is not, however many days it is.
FEATURES = (
    Feature("days_since_last_purchase", "days since the last purchase",
            "no purchase for {days_since_last_purchase:.0f} "
            "{days_since_last_purchase:?day|days}, {recency_ratio:.1f}x their usual gap",
            fallback="no purchase for {days_since_last_purchase:.0f} "
                     "{days_since_last_purchase:?day|days}, and no second purchase yet",
            risk="high", also=(("recency_ratio", "high", 1.0),)),
    Feature("recency_ratio", "days since the last purchase over the usual gap between purchases",
            "{recency_ratio:.1f}x their usual gap since the last purchase",
            fallback="no second purchase yet", risk="high", neutral=1.0),
    Feature("purchase_days", "days with a purchase, ever",
            "only {purchase_days:.0f} purchase {purchase_days:?day|days} in {tenure_days:.0f} "
            "{tenure_days:?day|days} as a customer", risk="low"),
    Feature("tenure_days", "days since the first purchase",
            "a customer for only {tenure_days:.0f} {tenure_days:?day|days}", risk="low"),
    Feature("total_spend", "net spend, refunds deducted",
            "only {currency}{total_spend:,.0f} spent in all", risk="low"),
    Feature("average_spend", "spend per purchase day",
            "only {currency}{average_spend:,.0f} spent per purchase day", risk="low"),
    *_window_features(),
    Feature("mean_gap_days", "mean days between purchase days",
            "usually {mean_gap_days:.0f} {mean_gap_days:?day|days} between purchases",
            fallback="only one purchase day so far", risk="high"),
    Feature("gap_variation", "standard deviation of the gaps between purchases over their mean",
            "irregular buying: gaps vary by {gap_variation:.0%} of their mean",
            fallback="too few purchases to know their rhythm", risk="high",
            missing_is_reason=False),
    Feature("refunds", "refunds, ever", "{refunds:.0f} {refunds:?refund|refunds}", fill=0,
            risk="high", neutral=0.0),
    Feature("refund_share", "share of spend refunded", "{refund_share:.0%} of their spend refunded",
            fill=0, risk="high", neutral=0.0),
)


def purchase_history(ctx: FeatureContext) -> ibis.Table:
    """One row per customer who bought before the as-of date
    (:func:`tenure.engine.purchase_history`), built once per snapshot and shared by the
    groups that read it (the population, purchases, value)."""
    return ctx.shared("purchases", _history)


def _history(ctx: FeatureContext) -> ibis.Table:
    return engine_purchase_history(ctx.before("orders"), ctx.as_of, WINDOWS)


def _build(ctx: FeatureContext) -> ibis.Table:
    per = purchase_history(ctx)
    tenure = ctx.days_since(per.first_day)
    mean_gap = ibis.ifelse(per.gaps > 0, per.gap_sum / per.gaps, ibis.null("float64"))
    variance = per.gap_squares / per.gaps - mean_gap * mean_gap
    trends = {}
    for n in WINDOWS:
        rest = (tenure - n).cast("float64")
        earlier = tenure > n
        trends[f"frequency_trend_{n}d"] = ibis.ifelse(
            earlier, (per[f"purchases_{n}d"] / n) / ((per.purchase_days - per[f"purchases_{n}d"])
                                                      / rest), ibis.null("float64"))
        trends[f"spend_trend_{n}d"] = ibis.ifelse(
            earlier & (per.gross > per[f"spend_{n}d"]),
            (per[f"spend_{n}d"] / n) / ((per.gross - per[f"spend_{n}d"]) / rest),
            ibis.null("float64"))
    since_last = ctx.days_since(per.last_day)
    return per.select(
        "customer_id",
        days_since_last_purchase=since_last,
        recency_ratio=since_last / mean_gap,
        purchase_days=per.purchase_days,
        tenure_days=tenure,
        total_spend=per.gross - per.refunded,
        average_spend=per.gross / per.purchase_days,
        **{f"{kind}_{n}d": per[f"{kind}_{n}d"] for n in WINDOWS for kind in ("purchases", "spend")},
        **trends,
        mean_gap_days=mean_gap,
        gap_variation=ibis.ifelse(per.gaps >= 2, variance.clip(lower=0).sqrt() / mean_gap,
                                  ibis.null("float64")),
        refunds=per.refunds,
        refund_share=ibis.ifelse(per.gross > 0, per.refunded / per.gross, 0.0),
    )


PURCHASES = FeatureGroup(
    "purchases",
    "Recency, frequency, spend and their trends over 30, 90 and 365 days, the regularity of "
    "the gaps between purchases, tenure and refunds (orders).",
    FEATURES,
    _build,
)
