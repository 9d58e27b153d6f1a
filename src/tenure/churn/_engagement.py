"""Engagement features: contacts received and responded to, and consent to be contacted.

A contact's outcome carries no time stamp of its own. It counts as known once the contact is
``RESPONSE_DAYS`` days old, the window in which opens, clicks and replies are recorded, so
that an answer that came after the as-of date cannot slip into the past.
"""

from __future__ import annotations

import ibis

from tenure.churn._features import Feature, FeatureContext, FeatureGroup

__all__ = ["ENGAGEMENT", "RESPONSES", "RESPONSE_DAYS"]

RESPONSE_DAYS = 7
RECENT = 90
# Outcomes that show the customer acted on a contact (compared without case).
RESPONSES = ("opened", "clicked", "replied", "responded", "visited", "purchased", "converted",
             "已读", "已打开", "点击", "已点击", "回复", "已回复", "购买", "已购买")

FEATURES = (
    Feature("contacts_90d", "contacts sent in the last 90 days",
            "{contacts_90d:.0f} {contacts_90d:?contact|contacts} in the last 90 days", fill=0,
            risk="high"),
    Feature("contacts_answered_90d",
            f"contacts opened, clicked or answered, of those sent 90 to {RESPONSE_DAYS} days "
            "before", "responded to only {contacts_answered_90d:.0f} "
            "{contacts_answered_90d:?contact|contacts} in the last 90 days",
            fill=0, risk="low"),
    Feature("response_rate_365d",
            f"share of contacts sent 365 to {RESPONSE_DAYS} days before that were responded to",
            "responded to only {response_rate_365d:.0%} of contacts in the last year",
            fallback="no contacts in the last year to respond to", risk="low",
            missing_is_reason=False),
    Feature("channels_opted_in", "channels the customer agrees to be contacted on",
            "open to contact on only {channels_opted_in:.0f} "
            "{channels_opted_in:?channel|channels}", fill=0, risk="low"),
    Feature("channels_opted_out", "channels the customer withdrew or refused consent for",
            "opted out of {channels_opted_out:.0f} "
            "{channels_opted_out:?channel|channels}", fill=0, risk="high", neutral=0.0),
    Feature("consent_withdrawn_90d", "consents withdrawn in the last 90 days",
            "withdrew consent on {consent_withdrawn_90d:.0f} "
            "{consent_withdrawn_90d:?channel|channels} in the last 90 days",
            fill=0, risk="high", neutral=0.0),
)


def _build(ctx: FeatureContext) -> ibis.Table:
    contacts = ctx.before("contacts")
    answered = contacts.outcome.lower().isin(list(RESPONSES)).fill_null(False)
    settled = contacts.sent_at < ctx.since(RESPONSE_DAYS)
    touches = contacts.group_by("customer_id").aggregate(
        contacts_90d=(contacts.sent_at >= ctx.since(RECENT)).cast("int64").sum(),
        contacts_answered_90d=(settled & answered & (contacts.sent_at >= ctx.since(RECENT)))
        .cast("int64").sum(),
        settled=(settled & (contacts.sent_at >= ctx.since(365))).cast("int64").sum(),
        answered=(settled & answered & (contacts.sent_at >= ctx.since(365))).cast("int64").sum(),
    )
    touches = touches.select(
        "customer_id", "contacts_90d", "contacts_answered_90d",
        response_rate_365d=ibis.ifelse(touches.settled > 0, touches.answered / touches.settled,
                                       ibis.null("float64")))

    consents = ctx.before("consents")
    # The latest answer on each channel (an aggregate, not a sorted window: cheaper).
    latest = consents.group_by("customer_id", "channel").aggregate(
        opted_in=consents.opted_in.argmax(consents.at))
    state = latest.group_by("customer_id").aggregate(
        channels_opted_in=latest.opted_in.cast("int64").sum(),
        channels_opted_out=(~latest.opted_in).cast("int64").sum())
    withdrawn = consents.filter(~consents.opted_in & (consents.at >= ctx.since(RECENT)))
    withdrawn = withdrawn.group_by("customer_id").aggregate(
        consent_withdrawn_90d=withdrawn.channel.nunique())

    keys = ctx.customers()
    result = keys.left_join(touches, "customer_id").select(
        keys.customer_id, touches.contacts_90d, touches.contacts_answered_90d,
        touches.response_rate_365d)
    result = result.left_join(state, "customer_id").select(
        result, state.channels_opted_in, state.channels_opted_out)
    return result.left_join(withdrawn, "customer_id").select(
        result, withdrawn.consent_withdrawn_90d)


ENGAGEMENT = FeatureGroup(
    "engagement",
    "Contacts received and responded to, consent state and consents withdrawn "
    "(contacts and consents).",
    FEATURES,
    _build,
)
