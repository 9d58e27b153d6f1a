"""Membership features: the tier held, days to its renewal, memberships let lapse.

A membership counts from its start; an end stamped on or after the as-of date is not known
yet, so the membership is still held. Renewal falls every ``churn.membership_period_days``
after the start.
"""

from __future__ import annotations

import ibis

from tenure.churn._features import Feature, FeatureContext, FeatureGroup

__all__ = ["MEMBERSHIP", "NO_TIER"]

NO_TIER = "none"

FEATURES = (
    Feature("membership_tier", f"membership tier held ('{NO_TIER}' when none)",
            "membership tier: {membership_tier}", fill=NO_TIER, categorical=True),
    Feature("days_to_renewal", "days until the membership held comes up for renewal",
            "membership renews in only {days_to_renewal:.0f} {days_to_renewal:?day|days}",
            fallback="no membership to renew", risk="low", missing_is_reason=False),
    Feature("membership_days", "days since the membership held started",
            "a member for only {membership_days:.0f} {membership_days:?day|days}",
            fallback="not a member", risk="low"),
    Feature("memberships_lapsed", "memberships that ended before the as-of date",
            "let {memberships_lapsed:.0f} "
            "{memberships_lapsed:?membership|memberships} lapse", fill=0, risk="high",
            neutral=0.0),
)


def _build(ctx: FeatureContext) -> ibis.Table:
    period = int(ctx.workspace.config["churn.membership_period_days"])
    m = ctx.before("memberships")
    m = m.mutate(held=m.ended_at.isnull())
    m = m.mutate(rank=ibis.row_number().over(group_by="customer_id",
                                             order_by=[ibis.desc("held"), ibis.desc("started_at")]))
    lapsed = m.group_by("customer_id").aggregate(
        memberships_lapsed=(~m.held).cast("int64").sum())
    current = m.filter((m["rank"] == 0) & m.held)
    days_in = ctx.days_since(current.started_at)
    current = current.select(
        "customer_id", membership_tier=current.tier,
        days_to_renewal=(period - days_in % period) % period, membership_days=days_in)
    result = lapsed.left_join(current, "customer_id").select(
        lapsed.customer_id, membership_tier=current.membership_tier.fill_null(NO_TIER),
        days_to_renewal=current.days_to_renewal, membership_days=current.membership_days,
        memberships_lapsed=lapsed.memberships_lapsed)
    return result


MEMBERSHIP = FeatureGroup(
    "membership",
    "Membership tier held, days to its renewal and memberships let lapse (memberships).",
    FEATURES,
    _build,
)
