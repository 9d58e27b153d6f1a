"""Relationship features: owner hand-overs, referrals made, acquisition channel and segment.

The customer's segment and acquisition channel are taken as they are stored: they describe
how the customer came and are not expected to change.
"""

from __future__ import annotations

import ibis

from tenure.churn._features import Feature, FeatureContext, FeatureGroup
from tenure.churn._purchases import purchase_history

__all__ = ["RELATIONSHIP", "UNKNOWN"]

UNKNOWN = "unknown"

FEATURES = (
    Feature("owner_changes", "times the customer was handed to a new owner",
            "handed to a new owner {owner_changes:.0f} "
            "{owner_changes:?time|times}", fill=0, risk="high", neutral=0.0),
    Feature("days_since_owner_change", "days since the latest hand-over to a new owner",
            "handed to a new owner only {days_since_owner_change:.0f} "
            "{days_since_owner_change:?day|days} ago",
            fallback="never handed to a new owner", risk="low", missing_is_reason=False),
    Feature("referrals_made", "customers this customer referred",
            "only {referrals_made:.0f} {referrals_made:?customer|customers} referred", fill=0,
            risk="low"),
    Feature("acquisition_channel", "channel that brought the customer",
            "came through {acquisition_channel}", fill=UNKNOWN, categorical=True),
    Feature("segment", "the customer's segment", "in the {segment} segment", fill=UNKNOWN,
            categorical=True),
)


def _build(ctx: FeatureContext) -> ibis.Table:
    owners = ctx.before("owners")
    owners = owners.group_by("customer_id").aggregate(n=owners.count(),
                                                      latest=owners.from_at.max())
    owners = owners.select(
        "customer_id", owner_changes=owners.n - 1,
        days_since_owner_change=ibis.ifelse(owners.n > 1, ctx.days_since(owners.latest),
                                            ibis.null("int64")))

    customers = ctx.workspace.table("customers")
    # A referred customer counts from when they were first seen, or else from their first
    # purchase (the purchase history the purchases group reads).
    first = purchase_history(ctx)
    referred = customers.filter(customers.referrer_id.notnull())
    referred = referred.left_join(first, "customer_id").select(
        referred.referrer_id,
        known_at=referred.first_seen.fill_null(first.first_day.cast("timestamp")))
    referred = referred.filter(referred.known_at < ctx.cutoff)
    referrals = referred.group_by(customer_id=referred.referrer_id).aggregate(
        referrals_made=referred.count())

    profile = customers.select(
        "customer_id", acquisition_channel=customers.acquisition_channel.fill_null(UNKNOWN),
        segment=customers.segment.fill_null(UNKNOWN))
    keys = ctx.customers()
    result = keys.left_join(owners, "customer_id").select(
        keys.customer_id, owners.owner_changes, owners.days_since_owner_change)
    result = result.left_join(referrals, "customer_id").select(result, referrals.referrals_made)
    return result.left_join(profile, "customer_id").select(
        result, profile.acquisition_channel, profile.segment)


RELATIONSHIP = FeatureGroup(
    "relationship",
    "Owner hand-overs, referrals made, acquisition channel and segment (owners and customers).",
    FEATURES,
    _build,
)
