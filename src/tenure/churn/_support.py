"""Support features: tickets, low satisfaction, waiting for a first reply, open tickets.

A satisfaction score counts from the moment its ticket was resolved: a ticket resolved after
the as-of date has no score yet. A first response is the ticket's ``first_response_at`` or,
when that is blank, its first ``replied`` status; a ticket is open until it is resolved or
reaches the ``resolved`` status.
"""

from __future__ import annotations

import ibis

from tenure.churn._features import Feature, FeatureContext, FeatureGroup

__all__ = ["LOW_CSAT", "SUPPORT"]

LOW_CSAT = 2  # a score of 1 or 2 out of 5 is a bad experience
RECENT = 90

FEATURES = (
    Feature("tickets_90d", "support tickets opened in the last 90 days",
            "{tickets_90d:.0f} support {tickets_90d:?ticket|tickets} in the last 90 days", fill=0,
            risk="high", neutral=0.0),
    Feature("low_csat_90d", f"tickets scored {LOW_CSAT} or less out of 5 in the last 90 days",
            "{low_csat_90d:.0f} support {low_csat_90d:?ticket|tickets} scored 1 or 2 out of 5 in "
            "the last 90 days",
            fill=0, risk="high", neutral=0.0),
    # A score of 4 or 5 is a good experience, never a reason to leave.
    Feature("worst_csat_90d", "lowest satisfaction score in the last 90 days",
            "rated support {worst_csat_90d:.0f} out of 5 in the last 90 days",
            fallback="no satisfaction score in the last 90 days", risk="low", neutral=4.0,
            missing_is_reason=False),
    Feature("first_response_hours_90d",
            "mean hours to a first reply on tickets opened in the last 90 days",
            "waited {first_response_hours_90d:.0f} {first_response_hours_90d:?hour|hours} on "
            "average for a first reply",
            fallback="no ticket answered in the last 90 days", risk="high",
            missing_is_reason=False),
    Feature("open_tickets", "tickets opened and not resolved by the as-of date",
            "{open_tickets:.0f} support {open_tickets:?ticket|tickets} still open", fill=0,
            risk="high", neutral=0.0),
    Feature("unanswered_tickets", "tickets without a first reply by the as-of date",
            "{unanswered_tickets:.0f} support {unanswered_tickets:?ticket|tickets} without "
            "a reply", fill=0, risk="high", neutral=0.0),
)


def _build(ctx: FeatureContext) -> ibis.Table:
    tickets = ctx.before("tickets")
    status = ctx.before("ticket_status")
    marks = status.group_by("ticket_id").aggregate(
        replied_at=status.at.min(where=status.status.lower() == "replied"),
        closed_at=status.at.min(where=status.status.lower() == "resolved"))
    tickets = tickets.left_join(marks, "ticket_id").select(
        tickets.customer_id, tickets.opened_at, tickets.csat,
        responded_at=tickets.first_response_at.fill_null(marks.replied_at),
        resolved_at=tickets.resolved_at.fill_null(marks.closed_at))
    recent = tickets.opened_at >= ctx.since(RECENT)
    scored = recent & tickets.resolved_at.notnull() & tickets.csat.notnull()
    hours = (tickets.responded_at.epoch_seconds() - tickets.opened_at.epoch_seconds()) / 3600
    return tickets.group_by("customer_id").aggregate(
        tickets_90d=recent.cast("int64").sum(),
        low_csat_90d=(scored & (tickets.csat <= LOW_CSAT)).cast("int64").sum(),
        worst_csat_90d=tickets.csat.min(where=scored),
        first_response_hours_90d=hours.mean(where=recent & tickets.responded_at.notnull()),
        open_tickets=tickets.resolved_at.isnull().cast("int64").sum(),
        unanswered_tickets=tickets.responded_at.isnull().cast("int64").sum(),
    )


SUPPORT = FeatureGroup(
    "support",
    "Tickets, low satisfaction scores and the wait for a first reply in the last 90 days, "
    "and tickets still open (tickets and ticket_status).",
    FEATURES,
    _build,
)
