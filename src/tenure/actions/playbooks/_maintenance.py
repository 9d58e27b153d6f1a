"""Maintenance due: a product the customer owns reaches its maintenance interval since it
was bought or last serviced (``service_events``)."""

from __future__ import annotations

import ibis

from tenure.actions.playbooks._base import Playbook, add_days, proposals, sentence
from tenure.actions.playbooks._products import latest_purchases, one_per_customer, product_name
from tenure.config import Setting, _check_non_negative

__all__ = ["MAINTENANCE"]

NAME = "maintenance_due"
BOUGHT = ("{product} was bought on {since} and is due for maintenance on {due} "
          "(every {interval} days)")
SERVICED = ("{product} was last serviced on {since} and is due for maintenance on {due} "
            "(every {interval} days)")


def _eligible(ctx, values):
    owned = latest_purchases(ctx, ("maintenance_interval_days",))
    if owned is None:
        return None
    services = ctx.before("service_events", ("customer_id", "sku", "at"))
    if services is not None:
        last = services.group_by("customer_id", "sku").aggregate(
            serviced=services.at.max().date())
        owned = owned.left_join(last, ["customer_id", "sku"]).drop(
            "customer_id_right", "sku_right")
    else:
        owned = owned.mutate(serviced=ibis.null("date"))
    # Servicing counts from the later of the purchase and the last service.
    since = ibis.greatest(owned.last_day, owned.serviced.fill_null(owned.last_day))
    today = ibis.date(ctx.date)
    owned = owned.mutate(since=since, due=add_days(since, owned.maintenance_interval_days))
    window = ((add_days(owned.due, -values["lead_days"]) <= today)
              & (add_days(owned.due, values["overdue_days"]) >= today))
    due_now = one_per_customer(owned.filter(window), owned.due.asc(), owned.sku.asc())
    value = ctx.value()
    joined = due_now.left_join(value.select("customer_id", "spend_per_purchase"), "customer_id")
    service_value = values["service_value"]
    stake = (ibis.literal(service_value, "float64") if service_value
             else joined.spend_per_purchase.fill_null(0.0))
    parts = {"product": product_name(joined), "since": joined.since,
             "due": joined.due, "interval": joined.maintenance_interval_days}
    reason = ibis.ifelse(joined.serviced.notnull() & (joined.serviced >= joined.last_day),
                         sentence(SERVICED, **parts), sentence(BOUGHT, **parts))
    return proposals(joined, customer_id=joined.customer_id, value_at_stake=stake,
                     reason=reason, due_date=ibis.greatest(joined.due, today),
                     detail=joined.sku)


MAINTENANCE = Playbook(
    name=NAME,
    title="Maintenance due",
    summary="A product the customer owns reaches its maintenance interval since it was bought "
            "or last serviced.",
    kind="transactional",
    channels=("wechat", "sms"),
    offer="a maintenance appointment",
    prior_effect=0.10,
    outcome="purchased",
    reasons=(BOUGHT, SERVICED),
    eligible=_eligible,
    cooldown_days=30,
    settings=(
        Setting(f"actions.playbooks.{NAME}.lead_days", 7,
                "Days before the due date the reminder may go.", _check_non_negative),
        Setting(f"actions.playbooks.{NAME}.overdue_days", 30,
                "Days past the due date after which the playbook stops reminding.",
                _check_non_negative),
        Setting(f"actions.playbooks.{NAME}.service_value", 0.0,
                "What a service is worth; 0 uses the customer's spend per purchase.",
                _check_non_negative),
    ),
)
