"""Consumable replenishment: the consumables a customer bought last run out (the product's
life times the quantity, from the purchase), a few days ahead of the run-out date."""

from __future__ import annotations

import ibis

from tenure.actions.playbooks._base import Playbook, add_days, proposals, sentence
from tenure.actions.playbooks._products import latest_purchases, one_per_customer, product_name
from tenure.config import Setting, _check_non_negative

__all__ = ["REPLENISHMENT"]

NAME = "replenishment"
REASON = "{quantity} x {product} bought on {bought} run out around {runout}"


def _eligible(ctx, values):
    owned = latest_purchases(ctx, ("consumable_life_days",))
    if owned is None:
        return None
    # A later purchase in the same category replaces the supply: only the latest counts.
    owned = owned.mutate(group=owned.category.fill_null(owned.sku))
    newest = owned.group_by("customer_id", "group").aggregate(last_day=owned.last_day.max())
    owned = owned.semi_join(newest, ["customer_id", "group", "last_day"])
    days = (owned.consumable_life_days * owned.quantity).cast("int32")
    owned = owned.mutate(runout=add_days(owned.last_day, days))
    today = ibis.date(ctx.date)
    window = ((add_days(owned.runout, -values["lead_days"]) <= today)
              & (add_days(owned.runout, values["late_days"]) >= today))
    running_out = one_per_customer(owned.filter(window), owned.runout.asc(), owned.sku.asc())
    reason = sentence(REASON, quantity=running_out.quantity,
                      product=product_name(running_out), bought=running_out.last_day,
                      runout=running_out.runout)
    return proposals(running_out, customer_id=running_out.customer_id,
                     value_at_stake=running_out.spent, reason=reason,
                     due_date=ibis.greatest(add_days(running_out.runout,
                                                     -values["lead_days"]), today),
                     detail=running_out.sku)


REPLENISHMENT = Playbook(
    name=NAME,
    title="Consumable replenishment",
    summary="Consumables bought last run out (life x quantity since the purchase); the "
            "reminder goes a few days ahead.",
    kind="marketing",
    channels=("wechat", "sms"),
    offer="a reorder link",
    prior_effect=0.08,
    outcome="purchased",
    reasons=(REASON,),
    eligible=_eligible,
    cooldown_days=14,
    settings=(
        Setting(f"actions.playbooks.{NAME}.lead_days", 5,
                "Days before the run-out date the reminder may go.", _check_non_negative),
        Setting(f"actions.playbooks.{NAME}.late_days", 14,
                "Days after the run-out date after which the playbook stops reminding.",
                _check_non_negative),
    ),
)
