"""Service-level features: SLA breaches in the last 90 days, breaches still open, the latest.

The clocks are those of the ``[sla]`` section of ``tenure.toml`` (see docs/sla.md),
evaluated as of the as-of date from what was recorded by then, into a temporary table: the
stored ``sla_results`` stay as they were. Without an ``[sla]`` section, or without tickets,
every customer has no breach.
"""

from __future__ import annotations

import ibis

from tenure.churn._features import Feature, FeatureContext, FeatureGroup

__all__ = ["SERVICE"]

RECENT = 90

FEATURES = (
    Feature("sla_breaches_90d", "SLA targets missed on the customer's tickets in the last 90 days",
            "{sla_breaches_90d:.0f} SLA {sla_breaches_90d:?breach|breaches} in the last 90 days",
            fill=0, risk="high", neutral=0.0),
    Feature("sla_open_breaches", "missed SLA targets on tickets still being worked on",
            "{sla_open_breaches:.0f} missed SLA {sla_open_breaches:?target|targets} on tickets "
            "still open", fill=0, risk="high", neutral=0.0),
    Feature("days_since_sla_breach", "days since an SLA target was last missed",
            "an SLA target missed {days_since_sla_breach:.0f} "
            "{days_since_sla_breach:?day|days} ago",
            fallback="no SLA target ever missed", risk="low", missing_is_reason=False),
)


def _none(ctx: FeatureContext) -> ibis.Table:
    orders = ctx.workspace.table("orders")
    return orders.filter(ibis.literal(False)).select(
        customer_id=orders.customer_id, sla_breaches_90d=ibis.literal(0, "int64"),
        sla_open_breaches=ibis.literal(0, "int64"),
        days_since_sla_breach=ibis.null("float64"))


def _build(ctx: FeatureContext) -> ibis.Table:
    from tenure.sla import customer_breaches

    workspace = ctx.workspace
    if not workspace.config.section("sla"):
        return _none(ctx)
    tickets = ctx.before("tickets")
    if tickets.count().execute() == 0:
        return _none(ctx)
    frame = customer_breaches(workspace, ctx.as_of, windows=(RECENT,)).frame
    frame = frame[["customer_id", f"breaches_{RECENT}d", "open_breaches", "days_since_breach"]]
    frame.columns = ["customer_id", "sla_breaches_90d", "sla_open_breaches",
                     "days_since_sla_breach"]
    frame = frame.astype({"customer_id": str, "sla_breaches_90d": "int64",
                          "sla_open_breaches": "int64", "days_since_sla_breach": "float64"})
    return ctx.temporary("sla", frame)


SERVICE = FeatureGroup(
    "service",
    "SLA targets missed in the last 90 days, still open, and the days since the latest, by "
    "the [sla] calendars and policies (tickets, ticket_status).",
    FEATURES,
    _build,
)
